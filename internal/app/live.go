package app

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/scalebench/scalebench/internal/live"
	"github.com/scalebench/scalebench/internal/results"
)

// liveFlag serves the live view of a run; its address is optional
// (optionalValues).
var liveFlag = &cli.StringFlag{
	Name: "live",
	Usage: "serve a live view of the run at `ADDR` (default " + live.DefaultAddr + ": this machine only, a free port): " +
		"a page that fills in as the run measures and ends as the report; its URL is printed at the start",
}

// optionalValues are the flags whose value may be left out, with the value
// they then take, and how to tell their value from the next argument.
var optionalValues = map[string]struct {
	value string
	is    func(arg string) bool
}{
	"live": {live.DefaultAddr, isAddr},
}

// isAddr reports whether arg reads as a listen address: host:port or
// :port, the port a number.
func isAddr(arg string) bool {
	_, port, err := net.SplitHostPort(arg)
	if err != nil {
		return false
	}
	n, err := strconv.ParseUint(port, 10, 16)
	return err == nil && n <= 65535
}

// liveCloseGrace bounds how long a finished run waits for the live view's
// clients to be sent the report before it exits.
const liveCloseGrace = 300 * time.Millisecond

// liveRun is the live view of a run of this process.
type liveRun struct {
	view *live.View
	srv  *live.Server
}

// liveAddr returns the address --live names, checked; "" without --live.
func liveAddr(c *cli.Context) (string, error) {
	if !c.IsSet("live") {
		return "", nil
	}
	addr := c.String("live")
	if addr == "" {
		addr = live.DefaultAddr
	}
	if !isAddr(addr) {
		return "", usagef("--live %q: want a listen address host:port, e.g. %s or :8080", addr, live.DefaultAddr)
	}
	return addr, nil
}

// startLive serves the live view at addr and prints its URL on w, with a
// warning when other machines can reach it; nil when addr is "".
func startLive(addr string, w io.Writer) (*liveRun, error) {
	if addr == "" {
		return nil, nil
	}
	v := live.New(live.Options{})
	srv, err := serveLive(addr, v, w, w)
	if err != nil {
		v.Close()
		return nil, err
	}
	return &liveRun{view: v, srv: srv}, nil
}

// serveLive serves v at addr and prints where on w, with a warning on
// errw when other machines can reach it.
func serveLive(addr string, v *live.View, w, errw io.Writer) (*live.Server, error) {
	srv, err := live.Serve(addr, v)
	if err != nil {
		return nil, usageError{err}
	}
	fmt.Fprintf(w, "live view: %s\n", srv.URL)
	if !srv.Loopback {
		fmt.Fprintf(errw, "scalebench: warning: the live view listens on %s, which other machines can reach: anyone who can connect sees the run and its report (read-only); use --live %s to keep it on this machine\n",
			addr, live.DefaultAddr)
	}
	return srv, nil
}

// ended says the run measures no more.
func (l *liveRun) ended() {
	if l != nil {
		l.view.Ended()
	}
}

// finish puts the report written at path in the live page's place.
func (l *liveRun) finish(path string) {
	if l == nil || path == "" {
		return
	}
	if page, err := os.ReadFile(path); err == nil {
		l.view.Finish(page)
	}
}

// close stops serving, giving clients at most liveCloseGrace to be sent
// what was published.
func (l *liveRun) close() {
	if l == nil {
		return
	}
	_ = l.srv.Close(liveCloseGrace)
	l.view.Close()
}

func watchCommand() *cli.Command {
	return &cli.Command{
		Name:      "watch",
		Usage:     "serve the live view of a run started elsewhere, following its output directory",
		ArgsUsage: "DIR",
		Description: "Serves the page `run --live` serves for a run started in another terminal, or on another\n" +
			"machine that writes to a shared directory: it follows DIR/" + results.JournalName + ", the journal the run\n" +
			"appends each measurement to, and shows the finished report once the run wrote it. A DIR\n" +
			"without a run yet is waited on. The buckets of a window are not in the journal: each\n" +
			"measurement shows once it is recorded. Runs until interrupted.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "addr", Value: live.DefaultAddr, Usage: "listen `ADDRESS` (port 0: chosen by the OS; other than loopback, other machines can reach it)"},
			&cli.DurationFlag{Name: "every", Value: 500 * time.Millisecond, Usage: "how often the directory is checked"},
		},
		Action: func(c *cli.Context) error {
			dir, err := oneArg(c, "run directory")
			if err != nil {
				return err
			}
			if fi, err := os.Stat(dir); err == nil && !fi.IsDir() {
				return usagef("watch: %s is a file; give the run's output directory (run --out DIR)", dir)
			} else if err != nil && !errors.Is(err, os.ErrNotExist) {
				return usagef("watch: %w", err)
			}
			if c.Duration("every") <= 0 {
				return usagef("watch: --every %s: want a positive duration", c.Duration("every"))
			}
			v := live.New(live.Options{Source: filepath.Join(dir, results.JournalName)})
			defer v.Close()
			srv, err := serveLive(c.String("addr"), v, c.App.Writer, c.App.ErrWriter)
			if err != nil {
				return err
			}
			defer func() { _ = srv.Close(liveCloseGrace) }()
			return live.Follow(c.Context, dir, v, c.Duration("every"))
		},
	}
}
