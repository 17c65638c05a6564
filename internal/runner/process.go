package runner

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/scalebench/scalebench/internal/results"
)

// The worker protocol, one line each over the child's stdin and stdout:
// parent → spec (JSON); child → "ready"; parent → "go"; child → report (JSON).
// The handshake lets every replica finish starting up before any measures.
const (
	msgReady = "ready"
	msgGo    = "go"
)

// WorkerMain is the body of the hidden `scalebench worker` command: it reads a
// Spec, waits for the go signal, runs it and writes its Report.
func WorkerMain(ctx context.Context, stdin io.Reader, stdout io.Writer) error {
	in := bufio.NewReader(stdin)
	line, err := in.ReadBytes('\n')
	if err != nil {
		return fmt.Errorf("worker: read spec: %w", err)
	}
	var spec Spec
	if err := json.Unmarshal(line, &spec); err != nil {
		return fmt.Errorf("worker: decode spec: %w", err)
	}
	if _, err := fmt.Fprintln(stdout, msgReady); err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	goLine, err := in.ReadString('\n')
	if err != nil || strings.TrimSpace(goLine) != msgGo {
		return fmt.Errorf("worker: expected %q, got %q: %v", msgGo, goLine, err)
	}
	rep, err := Execute(ctx, spec)
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

// replica is one running worker process.
type replica struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout *bufio.Reader
	stderr lockedBuffer
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
	cmd.SysProcAttr = ownProcessGroup()
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
	data, err := json.Marshal(spec)
	if err != nil {
		r.kill()
		return nil, fmt.Errorf("encode spec: %w", err)
	}
	if _, err := fmt.Fprintf(stdin, "%s\n", data); err != nil {
		r.kill()
		return nil, r.fail("send spec", err)
	}
	line, err := r.stdout.ReadString('\n')
	if err != nil || strings.TrimSpace(line) != msgReady {
		r.kill()
		return nil, r.fail("wait for ready", errors.Join(err, fmt.Errorf("got %q", line)))
	}
	return r, nil
}

func (r *replica) start() error {
	if _, err := fmt.Fprintln(r.stdin, msgGo); err != nil {
		return r.fail("send go", err)
	}
	return nil
}

// report waits for the child's report and for it to exit.
func (r *replica) report() (Report, error) {
	line, readErr := r.stdout.ReadBytes('\n')
	r.stdin.Close()
	waitErr := r.cmd.Wait()
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

// fail wraps err with the operation and the child's last stderr line.
func (r *replica) fail(op string, err error) error {
	msg := strings.TrimSpace(r.stderr.String())
	if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
		msg = msg[i+1:]
	}
	if msg != "" {
		return fmt.Errorf("worker process: %s: %w (stderr: %s)", op, err, msg)
	}
	return fmt.Errorf("worker process: %s: %w", op, err)
}
