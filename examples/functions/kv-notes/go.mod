module flotilla.dev/examples/kv-notes

go 1.24

require flotilla.dev/bindings/kv v0.0.0

replace flotilla.dev/bindings/kv => ../../bindings/go/kv
