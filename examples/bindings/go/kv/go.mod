module flotilla.dev/bindings/kv

go 1.24
