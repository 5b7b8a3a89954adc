// Command referrers-registry serves an OCI distribution registry with the OCI 1.1 referrers API
// (GET /v2/<name>/referrers/<digest>) for Flotilla's tests. Debian's docker-registry (distribution
// 2.8) has no referrers API, and zot's Go module is not served by the module proxy this project can
// reach, so this wraps go-containerregistry's registry, which cosign's own tests use the same way.
package main

import (
	"flag"
	"log"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
)

func main() {
	addr := flag.String("address", "127.0.0.1:5000", "address to listen on")
	disk := flag.String("disk", "", "directory for blobs (manifests stay in memory); empty keeps blobs in memory too")
	flag.Parse()

	opts := []registry.Option{registry.WithReferrersSupport(true), registry.Logger(log.New(os.Stderr, "", log.LstdFlags))}
	if *disk != "" {
		opts = append(opts, registry.WithBlobHandler(registry.NewDiskBlobHandler(*disk)))
	}
	listener, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("serving on %s", listener.Addr())
	server := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: withSpecReferrers(registry.New(opts...))}
	log.Fatal(server.Serve(listener))
}
