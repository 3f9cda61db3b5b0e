//go:build linux

// Command pause is the pod sandbox ("infra") process of the local e2e
// cluster, packed into an image by hack/image like the eventingestor binary:
// it holds the pod's namespaces, reaps the zombies re-parented to it (it is
// PID 1 of pods that share their process namespace) and exits 0 on SIGTERM
// or SIGINT. It does what registry.k8s.io/pause does, in Go, static.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	if len(os.Args) > 1 && (os.Args[1] == "-v" || os.Args[1] == "--version") {
		fmt.Println("pause (eventingestor e2e)")
		return
	}
	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGCHLD)
	for sig := range sigs {
		if sig == syscall.SIGCHLD {
			reap()
			continue
		}
		os.Exit(0)
	}
}

// reap collects every exited child without blocking.
func reap() {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
	}
}
