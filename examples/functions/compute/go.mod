module flotilla.dev/examples/compute

go 1.26
