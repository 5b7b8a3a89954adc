-- A route is Degraded when a backend is missing or it conflicts with another route.
return flotilla_health(obj, {})
