-- A trigger is Degraded when its function or source is missing (Degraded / Ready False).
return flotilla_health(obj, {})
