-- A function is Degraded as soon as its module cannot be verified or pulled, whatever Ready says.
return flotilla_health(obj, { "SignatureVerified", "ModuleAvailable" })
