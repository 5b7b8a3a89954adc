-- A route is Degraded when a backend is missing, it conflicts with another route, or nodes cannot enforce its auth (Ready=False).
return flotilla_health(obj, {})
