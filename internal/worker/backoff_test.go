package worker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/workload"
)

// failing is a fake job that always fails with err and counts its calls.
type failing struct {
	err   error
	calls int
}

func (f *failing) Do(context.Context, *workload.Call) error {
	f.calls++
	return f.err
}

func TestUnreachable(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"connection refused", fmt.Errorf("fetch: %w", refused), true},
		{"connection reset", fmt.Errorf("fetch: %w", syscall.ECONNRESET), true},
		{"HTTP 500", errors.New("fetch: 500 Internal Server Error"), false},
		{"bad image", errors.New("decode: unexpected EOF"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := unreachable(tt.err); got != tt.want {
				t.Errorf("unreachable(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

// A closed loop against a refused port makes a bounded number of attempts,
// not tens of thousands a second.
func TestClosedLoopBacksOffFromDeadServer(t *testing.T) {
	f := &failing{err: &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}}
	spec := Spec{URLs: []string{"http://127.0.0.1:1/x.jpg"}, Model: "closed", Workers: 1,
		Duration: 500 * time.Millisecond, Bucket: 100 * time.Millisecond, Timeout: time.Second}
	rep, err := ExecuteWith(context.Background(), spec, fakeDef, jobs{f})
	if err != nil {
		t.Fatal(err)
	}
	// Waits of 1+2+...+128 ms plus 250 ms steps fit about 10 tries in 500 ms;
	// a slow machine makes fewer. Without the backoff this was ~20,000.
	if f.calls > 40 {
		t.Errorf("%d attempts in 0.5 s against a refused port: no backoff", f.calls)
	}
	if rep.Snapshot.Errors == 0 {
		t.Error("refused connections were not counted as errors")
	}
}
