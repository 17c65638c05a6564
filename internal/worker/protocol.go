package worker

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"time"

	"github.com/scalebench/scalebench/internal/workload"
)

// ProtocolVersion is the version of the worker protocol: the messages
// between the harness and a worker process (Spec, "ready", "go", Report)
// and what their fields mean. Change it with any change a worker of the
// previous version would misread; an A/B run needs both builds to speak
// the same version.
//
// Version 2: a worker process started by the harness speaks cluster
// protocol 2 over NATS (cluster.Protocol), and takes no unknown field in
// its task. A worker that describes itself with Slices also runs sliced
// specs (Spec.Sliced, ended by "stop"); a harness sends them to no other,
// so builds without it still take part in A/B runs, only not sliced ones.
const ProtocolVersion = 2

// ProtocolError is a spec whose protocol version this worker does not speak.
type ProtocolError struct {
	// Harness is the version the spec carries (0: a harness from before
	// versioned protocols); Worker is this worker's.
	Harness, Worker int
}

func (e *ProtocolError) Error() string {
	h := fmt.Sprint(e.Harness)
	if e.Harness == 0 {
		h = "0 (a harness from before versioned protocols)"
	}
	return fmt.Sprintf("worker protocol mismatch: the harness speaks version %s, this worker speaks version %d; "+
		"rebuild both builds from commits with the same worker protocol, "+
		"or run each build on its own and compare the result files with `scalebench compare BASE.json HEAD.json`",
		h, e.Worker)
}

// CheckProtocol fails at once for a spec of another protocol version.
func CheckProtocol(spec Spec) error {
	if spec.Protocol != ProtocolVersion {
		return &ProtocolError{Harness: spec.Protocol, Worker: ProtocolVersion}
	}
	return nil
}

// Description is what `scalebench worker --describe` prints, as JSON: who
// the executable is, which worker protocol it speaks and which workloads
// it has.
type Description struct {
	Version  string `json:"version"`
	Commit   string `json:"commit,omitempty"`
	Protocol int    `json:"protocol"`
	// Slices is true when the worker runs sliced specs (Spec.Sliced).
	Slices bool `json:"slices,omitempty"`
	// Workloads are the workloads the executable has; a build from
	// before named workloads lists none, and has only workload.Default.
	Workloads []string `json:"workloads,omitempty"`
}

// Has reports whether the described executable has the workload called
// name ("" is workload.Default).
func (d Description) Has(name string) bool {
	if name == "" {
		name = workload.Default
	}
	if len(d.Workloads) == 0 {
		return name == workload.Default
	}
	return slices.Contains(d.Workloads, name)
}

// CheckWorkload fails for a workload the described executable at path
// lacks, naming those it has.
func (d Description) CheckWorkload(path, name string) error {
	if d.Has(name) {
		return nil
	}
	have := d.Workloads
	if len(have) == 0 {
		have = []string{workload.Default}
	}
	if name == "" {
		name = workload.Default
	}
	return &workload.UnknownError{Name: name, Have: have, Where: path}
}

// WriteDescription prints this executable's Description as one JSON line.
func WriteDescription(w io.Writer, version, commit string) error {
	data, err := json.Marshal(Description{Version: version, Commit: commit, Protocol: ProtocolVersion, Slices: true, Workloads: workload.Names()})
	if err != nil {
		return fmt.Errorf("worker: describe: %w", err)
	}
	_, err = fmt.Fprintf(w, "%s\n", data)
	return err
}

// describeTimeout bounds how long an executable may take to describe
// itself, both questions together; a variable for tests.
var describeTimeout = 30 * time.Second

// describeWaitDelay bounds how long Describe waits, once the executable
// was stopped, for processes it started and left behind to close its
// output.
const describeWaitDelay = 2 * time.Second

// maxDescribeOutput is the most Describe keeps of what an executable
// prints: a description takes a hundred bytes, and a build printing
// hundreds of megabytes must not cost as much memory.
const maxDescribeOutput = 64 << 10

// Describe asks the scalebench executable at path who it is and which
// worker protocol it speaks (`PATH worker --describe`). An executable that
// does not answer with a description is asked its version (`PATH
// --version`): a scalebench from before versioned protocols is named with
// its version, any other executable as not a scalebench binary. Each runs
// in a process group of its own, stopped whole at the time limit.
func Describe(ctx context.Context, path string) (Description, error) {
	ctx, cancel := context.WithTimeout(ctx, describeTimeout)
	defer cancel()
	var d Description
	out, err := ask(ctx, path, "worker", "--describe")
	if err == nil {
		if jerr := json.Unmarshal(out, &d); jerr == nil && d.Protocol > 0 {
			if !printable(d.Version) || !printable(d.Commit) {
				return Description{}, fmt.Errorf("describe %s: its description is not one scalebench writes: a version and commit of at most %d printable characters", path, maxDescribeField)
			}
			return d, nil
		}
	}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) && ctx.Err() == nil {
		return d, fmt.Errorf("describe %s: %w", path, err) // it could not be started
	}
	if ctx.Err() != nil {
		return d, fmt.Errorf("describe %s: `%s worker --describe` did not answer within %s: is it a scalebench binary?", path, path, describeTimeout)
	}
	v, verr := ask(ctx, path, "--version")
	if version, ok := scalebenchVersion(v); verr == nil && ok {
		return d, fmt.Errorf("describe %s: %s does not tell its worker protocol, so it predates versioned worker protocols (this harness speaks version %d): "+
			"rebuild it from a commit with the same worker protocol, or run it on its own and compare the result files with `scalebench compare`",
			path, version, ProtocolVersion)
	}
	return d, fmt.Errorf("describe %s: not a scalebench binary: `%s worker --describe` printed no worker description, and `%s --version` no scalebench version; "+
		"--build takes a scalebench executable, e.g. --build base=./scalebench-base", path, path, path)
}

// ask runs path with args and returns the start of what it printed on
// stdout (at most maxDescribeOutput bytes). The process runs in a group of
// its own: at ctx's end the whole group is killed, children included, and
// output they keep open is waited for only describeWaitDelay.
func ask(ctx context.Context, path string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.SysProcAttr = procAttr()
	cmd.Cancel = func() error { return killGroup(cmd.Process) }
	cmd.WaitDelay = describeWaitDelay
	out := &cappedBuffer{max: maxDescribeOutput}
	cmd.Stdout = out
	err := cmd.Run()
	return out.buf.Bytes(), err
}

// maxDescribeField is the longest version or commit a description may
// give: they are recorded in results.json and shown in the report.
const maxDescribeField = 200

// printable reports whether s is at most maxDescribeField printable
// ASCII characters.
func printable(s string) bool {
	if len(s) > maxDescribeField {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// scalebenchVersion returns the version line that `scalebench --version`
// prints ("scalebench version v0.1"), if out starts with one.
func scalebenchVersion(out []byte) (string, bool) {
	line, _, _ := bytes.Cut(out, []byte("\n"))
	line = bytes.TrimSpace(line)
	if !bytes.HasPrefix(line, []byte("scalebench version ")) || !printable(string(line)) {
		return "", false
	}
	return string(line), true
}

// cappedBuffer keeps the first max bytes written to it and discards the
// rest, so that a process printing without end is read without end of
// memory.
type cappedBuffer struct {
	buf bytes.Buffer
	max int
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
