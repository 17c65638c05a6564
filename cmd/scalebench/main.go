// Command scalebench measures how a thumbnail workload scales with workers,
// cores and replicas, and reports it.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/scalebench/scalebench/internal/app"
)

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	go interrupts(sigs, cancel, os.Exit, os.Stderr)
	code := app.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	signal.Stop(sigs)
	cancel()
	os.Exit(code)
}

// interrupts cancels the command at the first signal from sigs, so that it
// stops and keeps what it has, and exits at once at the second: a second
// Ctrl-C always ends the process.
func interrupts(sigs <-chan os.Signal, cancel func(), exit func(int), stderr io.Writer) {
	if _, ok := <-sigs; !ok {
		return
	}
	cancel()
	sig, ok := <-sigs
	if !ok {
		return
	}
	fmt.Fprintf(stderr, "scalebench: %v again: exiting now, without waiting for cleanup\n", sig)
	exit(app.ExitInterrupted)
}
