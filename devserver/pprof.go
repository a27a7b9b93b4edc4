package main

import (
	"fmt"
	"net/http"
	_ "net/http/pprof" // registers the profiling handlers on the default mux
	"os"
)

// servePprof serves Go's profiler on DEVSERVER_PPROF (e.g. 127.0.0.1:6060)
// when it is set, so that a benchmark can see where the engine's CPU goes.
// It is off by default: the dev server's own ports are all an app needs.
func servePprof() {
	addr := os.Getenv("DEVSERVER_PPROF")
	if addr == "" {
		return
	}
	go func() {
		if err := http.ListenAndServe(addr, nil); err != nil {
			fmt.Fprintf(os.Stderr, "devserver: pprof on %s: %v\n", addr, err)
		}
	}()
}
