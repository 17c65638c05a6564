// Command scalebench measures how a thumbnail workload scales with workers,
// cores and replicas, and reports it.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/scalebench/scalebench/internal/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := app.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
