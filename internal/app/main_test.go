package app

import (
	"context"
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/scalebench/scalebench/internal/agent"
	"github.com/scalebench/scalebench/internal/builtin"
	"github.com/scalebench/scalebench/internal/workload"
)

// TestMain registers the thumbnail workload, as the scalebench executable
// does, and fails the package's tests if any leave a goroutine running. With
// SCALEBENCH_TEST_WORKER=1 and the argument "worker", this test binary is a
// worker process instead, as `scalebench worker` is: tests that run real
// scenarios start it so.
func TestMain(m *testing.M) {
	if err := workload.Register(builtin.Thumbnail); err != nil {
		panic(err)
	}
	if os.Getenv("SCALEBENCH_TEST_WORKER") == "1" && len(os.Args) == 2 && os.Args[1] == "worker" {
		if err := agent.WorkerMain(context.Background(), os.Stdin, os.Stdout); err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}
