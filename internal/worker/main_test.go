package worker

import (
	"context"
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/scalebench/scalebench/internal/builtin"
	"github.com/scalebench/scalebench/internal/workload"
)

// TestMain lets this test binary act as a worker process: with
// SCALEBENCH_TEST_WORKER=1 it runs Main, as `scalebench worker` would.
// Otherwise it fails the package's tests if any leave a goroutine running.
func TestMain(m *testing.M) {
	if err := workload.Register(builtin.Thumbnail); err != nil {
		panic(err)
	}
	if os.Getenv("SCALEBENCH_TEST_WORKER") == "1" {
		if err := Main(context.Background(), os.Stdin, os.Stdout); err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}
