package worker

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// sh returns a Command running script in a shell, or skips the test.
func sh(t *testing.T, script string) Command {
	t.Helper()
	path, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh:", err)
	}
	return Command{Argv: []string{path, "-c", script}, Name: "test process"}
}

// TestProcRunsAWorker: a worker process started and driven through its
// pipes measures its spec at the GOMAXPROCS it was given and reports.
func TestProcRunsAWorker(t *testing.T) {
	spec := Spec{URLs: []string{"http://127.0.0.1:1/x.jpg"}, Options: thumbOptions(16, "fast"),
		Model: "closed", Workers: 1, Duration: 100 * time.Millisecond, Timeout: time.Second, Bucket: 50 * time.Millisecond}
	p, err := Start(context.Background(), Command{Argv: []string{os.Args[0]}, Env: append(os.Environ(), "SCALEBENCH_TEST_WORKER=1", "GOMAXPROCS=1")})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.SendSpec(spec); err != nil {
		t.Fatal(err)
	}
	if err := p.AwaitReady(); err != nil {
		t.Fatal(err)
	}
	if err := p.SendGo(); err != nil {
		t.Fatal(err)
	}
	rep, err := p.Report(time.Now().Add(Deadline(spec)))
	if err != nil {
		t.Fatal(err)
	}
	if rep.GOMAXPROCS != 1 || rep.Elapsed <= 0 || rep.Snapshot.Errors == 0 {
		t.Errorf("report: GOMAXPROCS %d, window %gs, %d errors; want 1, a window, and the unreachable server's errors", rep.GOMAXPROCS, rep.Elapsed, rep.Snapshot.Errors)
	}
}

// TestProcFailureQuotesStderr: a process that dies before it is ready
// fails with the operation, its name and what it wrote to stderr.
func TestProcFailureQuotesStderr(t *testing.T) {
	p, err := Start(context.Background(), sh(t, "read line; echo 'panic: boom' >&2; exit 3"))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.SendSpec(Spec{}); err != nil {
		t.Fatal(err)
	}
	err = p.AwaitReady()
	var we *WorkerError
	if !errors.As(err, &we) || we.Op != "test process: wait for ready" || !strings.Contains(err.Error(), "(stderr: panic: boom)") {
		t.Errorf("err = %v, want the operation and the panic quoted", err)
	}
}

// TestProcDeadline: a process that does not report by its deadline is
// killed, and the error says how long it had.
func TestProcDeadline(t *testing.T) {
	p, err := Start(context.Background(), sh(t, "read line; echo ready; read line; sleep 60"))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.SendSpec(Spec{}); err != nil {
		t.Fatal(err)
	}
	if err := p.AwaitReady(); err != nil {
		t.Fatal(err)
	}
	if err := p.SendGo(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = p.Report(time.Now().Add(300 * time.Millisecond))
	if !errors.Is(err, ErrDeadline) || !strings.Contains(err.Error(), "no report 300ms after the go signal, killed") {
		t.Errorf("err = %v, want the missed deadline", err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("Report returned after %s", took)
	}
}

// TestProcOnExit: OnExit hears of a process that exits by itself, not of
// one the starter killed.
func TestProcOnExit(t *testing.T) {
	exits := make(chan error, 2)
	c := sh(t, "exit 2")
	c.Silent, c.OnExit = true, func(err error) { exits <- err }
	p, err := Start(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	select {
	case err := <-exits:
		if err == nil || err.Error() != "exit status 2" {
			t.Errorf("OnExit(%v), want exit status 2", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("OnExit was not called")
	}

	c = sh(t, "sleep 60")
	c.Silent, c.OnExit = true, func(err error) { exits <- err }
	q, err := Start(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	q.Kill()
	q.Wait()
	q.Close()
	select {
	case err := <-exits:
		t.Errorf("OnExit(%v) for a process the starter killed", err)
	default:
	}
}

// TestProcKilledWithContext: the end of the starter's context kills the
// process.
func TestProcKilledWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	p, err := Start(ctx, sh(t, "sleep 60"))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	cancel()
	done := make(chan struct{})
	go func() { p.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the process outlived its context")
	}
}

// TestWatchHarness: a worker's context ends once its stdin does.
func TestWatchHarness(t *testing.T) {
	r, w := io.Pipe()
	ctx, cancel := WatchHarness(context.Background(), r)
	defer cancel(nil)
	if _, err := w.Write([]byte("anything\n")); err != nil {
		t.Fatal(err)
	}
	if ctx.Err() != nil {
		t.Fatal("the context ended while the harness was there")
	}
	w.Close()
	<-ctx.Done()
	if cause := context.Cause(ctx); !errors.Is(cause, ErrHarnessGone) {
		t.Errorf("cause %v, want ErrHarnessGone", cause)
	}
}
