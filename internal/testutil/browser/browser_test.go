package browser

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/testutil"
)

// The browser opens a page from a loopback server and evaluates
// JavaScript in it, awaiting promises.
func TestEval(t *testing.T) {
	testutil.Long(t, "starts a browser")
	path := Require(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!DOCTYPE html><title>probe</title><p id="x">41</p>`)
	}))
	defer srv.Close()
	b, err := Start(path, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if t.Failed() {
			t.Log(b.Close())
		} else {
			b.Close()
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p, err := b.Open(ctx, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	var got int
	expr := `new Promise(function (ok) {
	  (function check() { var x = document.getElementById("x"); if (x) { ok(Number(x.textContent) + 1); } else { setTimeout(check, 20); } })();
	})`
	if err := p.Eval(ctx, expr, &got); err != nil {
		t.Fatal(err)
	}
	if got != 42 {
		t.Errorf("evaluated %d, want 42", got)
	}
	if err := p.Eval(ctx, `undefinedFunction()`, nil); err == nil {
		t.Error("an expression that throws evaluated without error")
	}
}
