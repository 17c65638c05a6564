package scenario

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/scalebench/scalebench/internal/builtin"
	"github.com/scalebench/scalebench/internal/workload"
)

// TestMain registers the thumbnail workload, as the scalebench executable
// does, and fails the package's tests if any leave a goroutine running.
func TestMain(m *testing.M) {
	if err := workload.Register(builtin.Thumbnail); err != nil {
		panic(err)
	}
	goleak.VerifyTestMain(m)
}
