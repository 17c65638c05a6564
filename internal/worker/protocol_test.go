package worker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestWorkerRefusesAnotherProtocol: a spec of another protocol version,
// future or from before versioning, fails at once, naming both versions
// and what to do.
func TestWorkerRefusesAnotherProtocol(t *testing.T) {
	for _, v := range []int{ProtocolVersion + 1, 0} {
		t.Run(fmt.Sprint(v), func(t *testing.T) {
			in := strings.NewReader(fmt.Sprintf(`{"protocol":%d,"urls":["http://127.0.0.1:1/x.jpg"],"workers":1}`+"\n", v))
			var out bytes.Buffer
			err := Main(context.Background(), in, &out)
			var pe *ProtocolError
			if !errors.As(err, &pe) || pe.Harness != v || pe.Worker != ProtocolVersion {
				t.Fatalf("err = %v, want a ProtocolError for %d", err, v)
			}
			msg := err.Error()
			for _, want := range []string{fmt.Sprintf("version %d", v), fmt.Sprintf("speaks version %d", ProtocolVersion), "rebuild both builds", "scalebench compare"} {
				if !strings.Contains(msg, want) {
					t.Errorf("message %q lacks %q", msg, want)
				}
			}
			if out.Len() != 0 {
				t.Errorf("worker answered %q before refusing", out.String())
			}
		})
	}
}

func TestDescribeRoundTrip(t *testing.T) {
	var b bytes.Buffer
	if err := WriteDescription(&b, "v1.2", "abc"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), fmt.Sprintf(`"protocol":%d`, ProtocolVersion)) {
		t.Errorf("description %q lacks the protocol", b.String())
	}
}
