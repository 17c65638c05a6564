package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/scenario"
)

// catalogue is the scenario package's collection of scenario files: every
// file under invalid/ must be refused with exit code 2 and the error in its
// .golden file, every file under valid/ accepted.
var catalogue = filepath.Join("..", "..", "internal", "scenario", "testdata")

// maxRSS is the most memory validate or run may take on any scenario file.
const maxRSS = 200 << 20

// addressLimit caps the address space of each scalebench started here, so
// that a regression fails the test instead of exhausting the machine (the
// Go runtime reserves far more address space than it uses).
const addressLimit = 3 << 30

// limited runs scalebench with args in dir under addressLimit and returns
// its stderr, exit code and peak resident memory in bytes. The test binary
// starts it through a copy of itself (see measure), so that the figure is
// the command's own peak and not the test process's (Linux carries the
// resident high-water mark across exec).
func limited(t *testing.T, dir string, args ...string) (string, int, int64) {
	t.Helper()
	return limitedTo(t, addressLimit, time.Minute, dir, args...)
}

// limitedTo is limited with an address space limit of its own and a time
// limit.
func limitedTo(t *testing.T, limit int64, timeout time.Duration, dir string, args ...string) (string, int, int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	rssFile := filepath.Join(t.TempDir(), "rss")
	cmd := exec.CommandContext(ctx, self, append([]string{bin}, args...)...)
	cmd.Env = append(os.Environ(), measureEnv+"="+rssFile, limitEnv+"="+strconv.FormatInt(limit, 10))
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("scalebench %v: %v", args, err)
	}
	data, err := os.ReadFile(rssFile)
	if err != nil {
		t.Fatalf("scalebench %v: no memory figure: %v\n%s", args, err, stderr.String())
	}
	rss, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return stderr.String(), code, rss
}

// measureEnv names the file a test binary started by limited writes the
// command's peak resident memory to.
const measureEnv = "SCALEBENCH_TEST_MEASURE"

// limitEnv holds the address space limit, in bytes, measure runs the
// command under.
const limitEnv = "SCALEBENCH_TEST_ADDRESS_LIMIT"

// measure runs os.Args[1:] under the limit limitEnv gives with this process's streams,
// writes its peak resident memory in bytes to the file named by measureEnv
// and returns its exit code.
func measure() int {
	limit, err := strconv.ParseUint(os.Getenv(limitEnv), 10, 64)
	if err != nil {
		fmt.Fprintln(os.Stderr, "measure:", limitEnv+":", err)
		return 125
	}
	lim := &syscall.Rlimit{Cur: limit, Max: limit}
	if err := syscall.Setrlimit(syscall.RLIMIT_AS, lim); err != nil {
		fmt.Fprintln(os.Stderr, "measure: setrlimit:", err)
		return 125
	}
	cmd := exec.Command(os.Args[1], os.Args[2:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err = cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		fmt.Fprintln(os.Stderr, "measure:", err)
		return 125
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return 125
	}
	rss := int64(ru.Maxrss) << 10 // KiB on Linux
	if err := os.WriteFile(os.Getenv(measureEnv), []byte(strconv.FormatInt(rss, 10)), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "measure:", err)
		return 125
	}
	return cmd.ProcessState.ExitCode()
}

// TestCatalogue runs validate and run on every scenario of the catalogue,
// and on inputs too large to commit, checking the exit code, the message
// and that no run takes more than maxRSS.
func TestCatalogue(t *testing.T) {
	invalid := filepath.Join(catalogue, "invalid")
	files, err := filepath.Glob(filepath.Join(invalid, "*.yaml"))
	if err != nil || len(files) < 40 {
		t.Fatalf("%d bad scenario files in %s, want at least 40 (%v)", len(files), invalid, err)
	}
	valid, _ := filepath.Glob(filepath.Join(catalogue, "valid", "*.yaml"))
	if testing.Short() {
		// internal/scenario's TestInvalid checks every golden in process;
		// through the binary make test takes a sample, make test-long all.
		files, valid = files[:8], valid[:min(len(valid), 2)]
	}
	out := t.TempDir()
	var peak int64
	var peakFile string
	check := func(name string, rss int64) {
		if rss > peak {
			peak, peakFile = rss, name
		}
		if rss > maxRSS {
			t.Errorf("%s: peak RSS %d MiB, want at most %d MiB", name, rss>>20, maxRSS>>20)
		}
	}
	for _, file := range files {
		name := filepath.Base(file)
		want, err := os.ReadFile(strings.TrimSuffix(file, ".yaml") + ".golden")
		if err != nil {
			t.Fatalf("%v (run go test -update in internal/scenario)", err)
		}
		for _, args := range [][]string{{"validate", name}, {"run", name, "--out", filepath.Join(out, "r")}} {
			stderr, code, rss := limited(t, invalid, args...)
			if code != 2 || stderr != "scalebench: "+string(want) {
				t.Errorf("scalebench %s: exit %d, stderr:\n%s\nwant exit 2, stderr:\nscalebench: %s", strings.Join(args, " "), code, stderr, want)
			}
			check(strings.Join(args[:2], " "), rss)
		}
	}
	for _, file := range valid {
		stderr, code, rss := limited(t, ".", "validate", file)
		if code != 0 {
			t.Errorf("validate %s: exit %d: %s", file, code, stderr)
		}
		check(file, rss)
	}

	// Inputs too large to commit, written here.
	dir := t.TempDir()
	gen := []struct{ name, text, want string }{
		{"deep.yaml", "name: x\nload: " + strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000) + "\n",
			"scalebench: deep.yaml:2: nested more than 32 levels deep"},
		{"deep_maps.yaml", "name: x\nload: " + strings.Repeat("{a: ", 50_000) + strings.Repeat("}", 50_000) + "\n",
			"scalebench: deep_maps.yaml:2: nested more than 32 levels deep"},
		{"same_column.yaml", strings.Repeat("-\n0:\n", 12_000) + "-\n", "scalebench: same_column.yaml:33: nested more than 32 levels deep"},
		{"tokens.yaml", "name: x\nmatrix:\n  workers: [" + strings.Repeat("[],", 80_000) + "1]\n",
			"scalebench: tokens.yaml:3: more than 50000 YAML tokens"},
		{"aliases.yaml", "name: x\nmatrix:\n  workers: &a [" + strings.Repeat("1,", 9000) + "1]\n  gomaxprocs: [" + strings.Repeat("*a,", 9000) + "*a]\n",
			"scalebench: aliases.yaml:3: matrix.workers: values must be distinct, got 1 more than once (9000 times)\naliases.yaml:4: matrix.gomaxprocs: must be an integer, got a list (9001 times)\n"},
		{"huge.yaml", "name: x\nmatrix:\n  workers: [" + strings.Repeat("1,", 25<<20) + "1]\n",
			"scalebench: huge.yaml: file is larger than 256 KiB, the limit for a scenario file"},
	}
	for _, g := range gen {
		if err := os.WriteFile(filepath.Join(dir, g.name), []byte(g.text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	gen = append(gen, struct{ name, text, want string }{"/dev/zero", "", "scalebench: /dev/zero: file is larger than 256 KiB"})
	for _, g := range gen {
		for _, args := range [][]string{{"validate", g.name}, {"run", g.name, "--out", filepath.Join(out, "r")}} {
			cmd := args[0]
			stderr, code, rss := limited(t, dir, args...)
			t.Logf("%s %s: %.1f MiB", cmd, g.name, float64(rss)/(1<<20))
			if code != 2 || !strings.HasPrefix(stderr, g.want) {
				t.Errorf("scalebench %s %s: exit %d, stderr %.300q; want exit 2 and %q", cmd, g.name, code, stderr, g.want)
			}
			check(cmd+" "+g.name, rss)
		}
	}
	t.Logf("peak RSS %.1f MiB (%s) over %d files", float64(peak)/(1<<20), peakFile, len(files)+len(valid)+len(gen))
	if _, err := os.Stat(filepath.Join(out, "r")); err == nil {
		t.Error("run of a bad scenario created its output directory")
	}
}

// TestSignalDuringParse sends SIGTERM to validate while it reads the
// costliest scenarios and checks that it ends promptly, without a crash.
func TestSignalDuringParse(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"deep.yaml":   "name: x\nload: " + strings.Repeat("[", 120_000) + strings.Repeat("]", 120_000) + "\n",
		"tokens.yaml": "name: x\nmatrix:\n  workers: [" + strings.Repeat("1,", scenario.MaxTokens/2-10) + "1]\n",
	}
	for name, text := range files {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		script := "ulimit -v " + strconv.Itoa(addressLimit>>10) + ` && exec "$0" "$@"`
		cmd := exec.CommandContext(ctx, "sh", "-c", script, bin, "validate", path)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		start := time.Now()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
		_ = cmd.Process.Signal(syscall.SIGTERM)
		err := cmd.Wait()
		took := time.Since(start)
		cancel()
		code := cmd.ProcessState.ExitCode()
		if took > 5*time.Second || strings.Contains(stderr.String(), "goroutine ") || strings.Contains(stderr.String(), "fatal error") {
			t.Errorf("%s: ended after %v (%v), stderr %.400q", name, took, err, stderr.String())
		}
		// Killed by the signal before its handler was installed (-1), stopped
		// by it (130), or done with the file before it came (2 or 0).
		if code != -1 && code != 130 && code != 2 && code != 0 {
			t.Errorf("%s: exit %d, stderr %.400q", name, code, stderr.String())
		}
	}
}
