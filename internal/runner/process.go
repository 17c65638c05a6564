package runner

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scalebench/scalebench/internal/cluster"
	"github.com/scalebench/scalebench/internal/load"
	"github.com/scalebench/scalebench/internal/results"
)

// The worker protocol, one line each over the child's stdin and stdout:
// parent → spec (JSON); child → "ready"; parent → "go"; child → report (JSON).
// The handshake lets every replica finish starting up before any measures.
// A sliced spec's run ends when the parent sends "stop"; then the child
// reports.
const (
	msgReady = "ready"
	msgGo    = "go"
	msgStop  = "stop"
)

// WorkerMain is the body of the hidden `scalebench worker` command: it reads a
// Spec, waits for the go signal, runs it and writes its Report. It stops
// measuring as soon as its stdin closes: the harness that started it is gone.
//
// Given a harness's NATS server in its environment (cluster.EnvURL), it
// speaks the same protocol over NATS as a one-shot agent instead.
func WorkerMain(ctx context.Context, stdin io.Reader, stdout io.Writer) error {
	if os.Getenv(cluster.EnvURL) != "" {
		return workerOverNATS(ctx, stdin)
	}
	in := bufio.NewReader(stdin)
	line, err := in.ReadBytes('\n')
	if err != nil {
		return fmt.Errorf("worker: read spec: %w", err)
	}
	var spec Spec
	if err := json.Unmarshal(line, &spec); err != nil {
		return fmt.Errorf("worker: decode spec: %w", err)
	}
	if err := checkProtocol(spec); err != nil {
		return err
	}
	if _, err := fmt.Fprintln(stdout, msgReady); err != nil {
		return fmt.Errorf("worker: send ready: %w", err)
	}
	goLine, err := in.ReadString('\n')
	if err != nil || strings.TrimSpace(goLine) != msgGo {
		return fmt.Errorf("worker: expected %q, got %q: %v", msgGo, goLine, err)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	go func() {
		// After "go" the harness sends nothing but, to a sliced run,
		// "stop"; end of input means it died.
		if spec.Sliced {
			if line, err := in.ReadString('\n'); err == nil && strings.TrimSpace(line) == msgStop {
				cancel(errStopped)
			}
		}
		_, _ = io.Copy(io.Discard, in)
		cancel(errHarnessGone)
	}()
	rep, err := Execute(ctx, spec)
	switch cause := context.Cause(ctx); {
	case errors.Is(cause, errHarnessGone):
		return cause
	case errors.Is(cause, errStopped):
		err = nil // the end of a sliced run
	}
	if err != nil {
		return err
	}
	out, err := json.Marshal(reportMessage{Report: rep, Histogram: results.HistogramOf(rep.Snapshot.Hist)})
	if err != nil {
		return fmt.Errorf("worker: encode report: %w", err)
	}
	_, err = fmt.Fprintf(stdout, "%s\n", out)
	return err
}

// errHarnessGone ends a worker whose harness closed its stdin mid-measurement.
var errHarnessGone = errors.New("worker: harness closed the control pipe")

// errStopped ends a sliced run: the harness sent "stop".
var errStopped = errors.New("worker: the harness ended the sliced run")

// replica is one running worker process.
type replica struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout *bufio.Reader
	stderr lockedBuffer
	// budget is how long the worker may take after the go signal.
	budget time.Duration
	// expired is set when a deadline killed the process.
	expired atomic.Bool
}

// lockedBuffer collects a child's stderr, which exec copies from another goroutine.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startReplica starts a worker process with GOMAXPROCS set in its
// environment and sends it spec; it returns once the child is ready.
func startReplica(ctx context.Context, argv []string, env []string, gomaxprocs int, spec Spec) (*replica, error) {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = append(append(os.Environ(), env...), "GOMAXPROCS="+strconv.Itoa(gomaxprocs))
	cmd.SysProcAttr = workerProcAttr()
	cmd.WaitDelay = 2 * time.Second
	r := &replica{cmd: cmd}
	cmd.Stderr = &r.stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("start worker: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("start worker: %w", err)
	}
	r.stdin, r.stdout = stdin, bufio.NewReaderSize(stdout, 1<<20)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start worker %s: %w", argv[0], err)
	}
	spec.Protocol = ProtocolVersion
	data, err := json.Marshal(spec)
	if err != nil {
		r.kill()
		return nil, fmt.Errorf("encode spec: %w", err)
	}
	if _, err := fmt.Fprintf(stdin, "%s\n", data); err != nil {
		r.kill()
		return nil, r.fail("send spec", err)
	}
	stop := r.watch(startupTimeout)
	line, err := r.stdout.ReadString('\n')
	stop()
	if err != nil || strings.TrimSpace(line) != msgReady {
		r.kill()
		if r.expired.Load() {
			return nil, r.fail("wait for ready", fmt.Errorf("%w: not ready within %s", ErrDeadline, startupTimeout))
		}
		return nil, r.fail("wait for ready", errors.Join(err, fmt.Errorf("got %q", line)))
	}
	return r, nil
}

// startupTimeout bounds how long a worker process may take to start and
// say it is ready.
const startupTimeout = 30 * time.Second

// ErrDeadline reports a worker process that did not answer in time and was
// killed: stopped, hung, or far slower than its spec allows.
var ErrDeadline = errors.New("worker missed its deadline")

// watch kills the worker process if it is still running after d; the
// returned func cancels the watch.
func (r *replica) watch(d time.Duration) (stop func()) {
	t := time.AfterFunc(d, func() {
		r.expired.Store(true)
		if r.cmd.Process != nil {
			_ = r.cmd.Process.Kill() // SIGKILL also ends a stopped process
		}
	})
	return func() { t.Stop() }
}

// Deadline is how long a worker may take, from the go signal to its report,
// for spec: the longest its load model can run (warm-up, window or a batch's
// rounds of jobs, each bounded by the job timeout), one more job timeout for
// the jobs in flight, and a grace for the process to report and exit. Past
// it the worker is killed and the measurement fails.
func Deadline(spec Spec) time.Duration {
	const grace = 5 * time.Second
	model := spec.Model
	if model == "" {
		model = load.Closed
	}
	timeout := spec.Timeout
	if timeout <= 0 {
		timeout = load.DefaultTimeout
	}
	d := spec.plan().Limit(model)
	if d > math.MaxInt64-timeout-grace {
		return math.MaxInt64
	}
	return d + timeout + grace
}

func (r *replica) start() error {
	if _, err := fmt.Fprintln(r.stdin, msgGo); err != nil {
		return r.fail("send go", err)
	}
	return nil
}

// report waits, at most until deadline, for the child's report and for it
// to exit; past the deadline it kills the child and returns ErrDeadline.
func (r *replica) report(deadline time.Time) (Report, error) {
	stop := r.watch(time.Until(deadline))
	line, readErr := r.stdout.ReadBytes('\n')
	r.stdin.Close()
	waitErr := r.cmd.Wait()
	stop()
	if r.expired.Load() {
		return Report{}, r.fail("read report", fmt.Errorf("%w: no report %s after the go signal, killed",
			ErrDeadline, r.budget.Round(time.Millisecond)))
	}
	if readErr != nil || waitErr != nil {
		return Report{}, r.fail("read report", errors.Join(readErr, waitErr))
	}
	var msg reportMessage
	if err := json.Unmarshal(line, &msg); err != nil {
		return Report{}, r.fail("decode report", err)
	}
	msg.Snapshot.Hist = msg.Histogram.HDR()
	return msg.Report, nil
}

// reportMessage is a Report as a worker process sends it: the snapshot's
// latency histogram travels encoded beside it.
type reportMessage struct {
	Report
	Histogram *results.Histogram `json:"histogram"`
}

func (r *replica) kill() {
	if r.cmd.Process != nil {
		_ = r.cmd.Process.Kill()
	}
	_ = r.cmd.Wait()
}

// fail wraps err with the operation and what the child wrote to stderr.
func (r *replica) fail(op string, err error) error {
	return &WorkerError{Op: op, Err: err, Stderr: r.stderr.String()}
}

// WorkerError is a worker process that failed: the operation, the cause, and
// everything the process wrote to its stderr.
type WorkerError struct {
	Op     string
	Err    error
	Stderr string
	// Saved, when set, is the file the full stderr was written to.
	Saved string
}

func (e *WorkerError) Error() string {
	msg := "worker process: " + e.Op + ": " + e.Err.Error()
	if c := Crash(e.Stderr); c != "" {
		msg += " (stderr: " + c + ")"
	}
	if e.Saved != "" {
		msg += "; full stderr in " + e.Saved
	}
	return msg
}

func (e *WorkerError) Unwrap() error { return e.Err }

// Crash condenses a Go process's stderr to what explains its end: the
// "panic:" or "fatal error:" line and the first frames of the goroutine that
// failed ("f() at file.go:12"), or else the last line written.
func Crash(stderr string) string {
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	for i, l := range lines {
		if !strings.HasPrefix(l, "panic: ") && !strings.HasPrefix(l, "fatal error: ") {
			continue
		}
		out := []string{strings.TrimSpace(l)}
		rest := lines[i+1:]
		// Skip to the first goroutine's header, then take its frames: a
		// function line followed by a tab-indented "file:line +0x.." line.
		for len(rest) > 0 && !strings.HasPrefix(rest[0], "goroutine ") {
			rest = rest[1:]
		}
		if len(rest) > 0 {
			rest = rest[1:]
		}
		for j := 0; j+1 < len(rest) && len(out) <= maxFrames; j += 2 {
			fn, at := rest[j], strings.TrimSpace(rest[j+1])
			if fn == "" || !strings.HasPrefix(rest[j+1], "\t") {
				break
			}
			if k := strings.LastIndex(at, " +0x"); k > 0 {
				at = at[:k]
			}
			out = append(out, fn+" at "+at)
		}
		return strings.Join(out, "; ")
	}
	return strings.TrimSpace(lines[len(lines)-1])
}

// maxFrames is how many stack frames Crash keeps.
const maxFrames = 3
