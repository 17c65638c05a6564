package testutil

import (
	"sync/atomic"
	"testing"
	"time"
)

func TestPoll(t *testing.T) {
	var n atomic.Int32
	go func() {
		time.Sleep(10 * time.Millisecond) // the event being waited for
		n.Store(1)
	}()
	if !Poll(5*time.Second, func() bool { return n.Load() == 1 }) {
		t.Fatal("Poll gave up on a condition that came true")
	}
	start := time.Now()
	if Poll(30*time.Millisecond, func() bool { return false }) {
		t.Fatal("Poll reported a condition that never held")
	}
	if waited := time.Since(start); waited < 30*time.Millisecond {
		t.Errorf("Poll gave up after %v, before its 30ms timeout", waited)
	}
}
