package app

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/imageserver"
)

// TestServeImagesPrintsBoundAddress runs serve-images on 127.0.0.1:0 and
// checks that the first line names the address it is bound to, which
// answers, with no warning.
func TestServeImagesPrintsBoundAddress(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	var stderr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, []string{"serve-images", "--addr", "127.0.0.1:0", "--for", "30s"}, nil, pw, &stderr)
		pw.Close()
	}()
	lines := bufio.NewReader(pr)
	first, err := lines.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	go func() { _, _ = io.Copy(io.Discard, lines) }() // the rest of the output
	addr, ok := strings.CutPrefix(strings.TrimSpace(first), "serving on http://")
	if !ok {
		t.Fatalf("first line %q, want \"serving on http://ADDRESS\"", first)
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil || host != "127.0.0.1" || port == "0" {
		t.Fatalf("printed address %q, want 127.0.0.1 and the port the OS chose", addr)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatalf("printed address does not answer: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /healthz on the printed address: %s", resp.Status)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("exit %d: %s", code, stderr.String())
	}
	if strings.Contains(stderr.String(), "warning") {
		t.Errorf("warning for a loopback address: %s", stderr.String())
	}
}

// TestPrintServing checks the lines serve-images prints for loopback and
// other bound addresses (the latter without binding one in a test).
func TestPrintServing(t *testing.T) {
	tests := []struct {
		name      string
		addr      *net.TCPAddr
		wantFirst string
		warn      bool
	}{
		{"IPv4 loopback", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}, "serving on http://127.0.0.1:8080", false},
		{"IPv6 loopback", &net.TCPAddr{IP: net.IPv6loopback, Port: 8080}, "serving on http://[::1]:8080", false},
		{"every interface", &net.TCPAddr{IP: net.IPv6unspecified, Port: 8080}, "serving on http://[::]:8080", true},
		{"every IPv4 interface", &net.TCPAddr{IP: net.IPv4zero, Port: 8080}, "serving on http://0.0.0.0:8080", true},
		{"a LAN address", &net.TCPAddr{IP: net.IPv4(192, 168, 1, 5), Port: 8080}, "serving on http://192.168.1.5:8080", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			printServing(&out, &errOut, &imageserver.Server{URL: "http://127.0.0.1:8080", Addr: tt.addr})
			first, _, _ := strings.Cut(out.String(), "\n")
			if first != tt.wantFirst {
				t.Errorf("first line %q, want %q", first, tt.wantFirst)
			}
			if got := strings.Contains(errOut.String(), "warning: listening on "+tt.addr.String()); got != tt.warn {
				t.Errorf("warning %v, want %v: stderr %q", got, tt.warn, errOut.String())
			}
		})
	}
}
