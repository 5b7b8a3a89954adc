-- A pool is Degraded when its nodes report Degraded or Ready False with nothing progressing.
return flotilla_health(obj, {})
