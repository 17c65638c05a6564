// Package browser drives a headless Chromium for tests, over the DevTools
// protocol on a pipe (--remote-debugging-pipe): open a page, evaluate
// JavaScript in it. It needs nothing but the browser: Debian's chromium
// package.
package browser

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// Path returns the browser to test with: $CHROMIUM, or chromium or
// chromium-browser on PATH; "" when there is none.
func Path() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// Require returns the browser to test with, or skips the test when there
// is none; with SCALEBENCH_REQUIRE_BROWSER set (CI), a missing browser
// fails it instead.
func Require(t testing.TB) string {
	t.Helper()
	p := Path()
	if p == "" && os.Getenv("SCALEBENCH_REQUIRE_BROWSER") != "" {
		t.Fatal("SCALEBENCH_REQUIRE_BROWSER is set but no chromium is on PATH (apt-get install -y chromium)")
	}
	if p == "" {
		t.Skip("no chromium on PATH (set $CHROMIUM, or: apt-get update && apt-get install -y chromium): browser test skipped")
	}
	return p
}

// Browser is a headless Chromium driven over its DevTools pipe.
type Browser struct {
	cmd    *exec.Cmd
	send   *os.File // the browser reads commands from it (its fd 3)
	recv   *os.File // it writes replies and events to it (its fd 4)
	stderr strings.Builder

	mu      sync.Mutex
	next    int
	waiting map[int]chan reply
	closed  error
	done    chan struct{}
}

type reply struct {
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Message string `json:"message"`
	} `json:"error"`
}

// Start starts a headless browser with a profile in dir (a test's
// TempDir), which may only reach loopback addresses.
func Start(path, dir string) (*Browser, error) {
	ourIn, theirOut, err := os.Pipe() // browser → us
	if err != nil {
		return nil, err
	}
	theirIn, ourOut, err := os.Pipe() // us → browser
	if err != nil {
		ourIn.Close()
		theirOut.Close()
		return nil, err
	}
	b := &Browser{send: ourOut, recv: ourIn, waiting: map[int]chan reply{}, done: make(chan struct{})}
	b.cmd = exec.Command(path,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-extensions", "--disable-default-apps", "--no-default-browser-check",
		"--disable-background-timer-throttling", "--disable-renderer-backgrounding",
		"--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
		"--user-data-dir="+dir, "--remote-debugging-pipe", "--window-size=1400,2000", "about:blank")
	b.cmd.ExtraFiles = []*os.File{theirIn, theirOut} // fds 3 and 4
	b.cmd.Stderr = &b.stderr
	err = b.cmd.Start()
	theirIn.Close()
	theirOut.Close()
	if err != nil {
		ourIn.Close()
		ourOut.Close()
		return nil, fmt.Errorf("start %s: %w", path, err)
	}
	go b.read()
	return b, nil
}

// read dispatches the browser's replies; events are dropped.
func (b *Browser) read() {
	defer close(b.done)
	r := bufio.NewReaderSize(b.recv, 1<<20)
	for {
		msg, err := r.ReadBytes(0)
		if err != nil {
			b.mu.Lock()
			b.closed = fmt.Errorf("the browser closed its pipe: %w", err)
			for id, ch := range b.waiting {
				close(ch)
				delete(b.waiting, id)
			}
			b.mu.Unlock()
			return
		}
		var m struct {
			ID int `json:"id"`
			reply
		}
		if json.Unmarshal(msg[:len(msg)-1], &m) != nil || m.ID == 0 {
			continue
		}
		b.mu.Lock()
		ch := b.waiting[m.ID]
		delete(b.waiting, m.ID)
		b.mu.Unlock()
		if ch != nil {
			ch <- m.reply
		}
	}
}

// call sends a command (to a page's session, when session is set) and
// decodes its result into out.
func (b *Browser) call(ctx context.Context, session, method string, params, out any) error {
	b.mu.Lock()
	if b.closed != nil {
		b.mu.Unlock()
		return b.closed
	}
	b.next++
	id := b.next
	ch := make(chan reply, 1)
	b.waiting[id] = ch
	b.mu.Unlock()
	msg := map[string]any{"id": id, "method": method, "params": params}
	if session != "" {
		msg["sessionId"] = session
	}
	data, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	if _, err := b.send.Write(append(data, 0)); err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	select {
	case r, ok := <-ch:
		if !ok {
			return fmt.Errorf("%s: the browser went away", method)
		}
		if r.Error != nil {
			return fmt.Errorf("%s: %s", method, r.Error.Message)
		}
		if out != nil {
			return json.Unmarshal(r.Result, out)
		}
		return nil
	case <-ctx.Done():
		b.mu.Lock()
		delete(b.waiting, id)
		b.mu.Unlock()
		return fmt.Errorf("%s: %w", method, ctx.Err())
	}
}

// Page is a tab of the browser.
type Page struct {
	b       *Browser
	session string
}

// Open opens url in a new tab.
func (b *Browser) Open(ctx context.Context, url string) (*Page, error) {
	var target struct {
		TargetID string `json:"targetId"`
	}
	if err := b.call(ctx, "", "Target.createTarget", map[string]any{"url": url}, &target); err != nil {
		return nil, err
	}
	var att struct {
		SessionID string `json:"sessionId"`
	}
	if err := b.call(ctx, "", "Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}, &att); err != nil {
		return nil, err
	}
	return &Page{b: b, session: att.SessionID}, nil
}

// Eval evaluates the JavaScript expression in the page (awaiting it, if a
// promise) and decodes its value, which must be JSON, into out. While the
// page loads, it waits for a context to evaluate in.
func (p *Page) Eval(ctx context.Context, expr string, out any) error {
	var res struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		Exception *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	for {
		err := p.b.call(ctx, p.session, "Runtime.evaluate", map[string]any{
			"expression": expr, "returnByValue": true, "awaitPromise": true,
		}, &res)
		if err == nil {
			break
		}
		// A page that is loading has no context to evaluate in for a
		// moment: try again once it has.
		if !strings.Contains(err.Error(), "context was destroyed") && !strings.Contains(err.Error(), "Cannot find default execution context") {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(50 * time.Millisecond):
		}
	}
	if res.Exception != nil {
		return fmt.Errorf("evaluate %q: %s %s", expr, res.Exception.Text, res.Exception.Exception.Description)
	}
	if out == nil || len(res.Result.Value) == 0 {
		return nil
	}
	return json.Unmarshal(res.Result.Value, out)
}

// Screenshot returns a PNG of the page's viewport.
func (p *Page) Screenshot(ctx context.Context) ([]byte, error) {
	var res struct {
		Data []byte `json:"data"` // base64 in JSON
	}
	if err := p.b.call(ctx, p.session, "Page.captureScreenshot", map[string]any{"format": "png"}, &res); err != nil {
		return nil, err
	}
	return res.Data, nil
}

// Close ends the browser, and returns what it wrote to stderr.
func (b *Browser) Close() string {
	_ = b.call(context.Background(), "", "Browser.close", nil, nil)
	exited := make(chan error, 1)
	go func() { exited <- b.cmd.Wait() }()
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		_ = b.cmd.Process.Kill()
		<-exited
	}
	b.send.Close()
	<-b.done
	b.recv.Close()
	return b.stderr.String()
}
