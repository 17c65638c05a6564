package bench

import (
	"bytes"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/scalebench/scalebench/internal/app"
)

// TestInterrupts checks that the first signal cancels the command and the
// second exits at once with the interrupted code.
func TestInterrupts(t *testing.T) {
	sigs := make(chan os.Signal, 2)
	cancelled := make(chan struct{})
	exited := make(chan int, 1)
	var stderr bytes.Buffer
	done := make(chan struct{})
	go func() {
		defer close(done)
		interrupts(sigs, func() { close(cancelled) }, func(code int) { exited <- code }, &stderr)
	}()

	sigs <- os.Interrupt
	<-cancelled
	select {
	case code := <-exited:
		t.Fatalf("exit(%d) after one signal", code)
	default:
	}
	sigs <- syscall.SIGTERM
	<-done
	if code := <-exited; code != app.ExitInterrupted {
		t.Errorf("exit(%d), want %d", code, app.ExitInterrupted)
	}
	if !strings.Contains(stderr.String(), "again: exiting now") {
		t.Errorf("stderr %q", stderr.String())
	}

	// A closed channel (signals stopped) ends it without exiting.
	closed := make(chan os.Signal)
	close(closed)
	interrupts(closed, func() { t.Error("cancelled without a signal") }, func(int) { t.Error("exited without a signal") }, &stderr)
}
