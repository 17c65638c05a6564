package worker

import "testing"

func TestCrash(t *testing.T) {
	tests := []struct {
		name, stderr, want string
	}{
		{
			name: "panic with frames",
			stderr: "some log line\npanic: runtime error: makeslice: len out of range\n\n" +
				"goroutine 1 [running]:\nmain.f(...)\n\t/tmp/pan/main.go:3\nmain.main()\n\t/tmp/pan/main.go:5 +0x25\n" +
				"rax    0x0\nrbx    0x1\n",
			want: "panic: runtime error: makeslice: len out of range; main.f(...) at /tmp/pan/main.go:3; main.main() at /tmp/pan/main.go:5",
		},
		{
			name: "fatal error keeps three frames",
			stderr: "fatal error: out of memory\n\ngoroutine 7 [running]:\nruntime.throw()\n\tproc.go:1 +0x1\n" +
				"runtime.mallocgc()\n\tmalloc.go:2 +0x2\nmain.grow()\n\tmain.go:3 +0x3\nmain.main()\n\tmain.go:4 +0x4\n",
			want: "fatal error: out of memory; runtime.throw() at proc.go:1; runtime.mallocgc() at malloc.go:2; main.grow() at main.go:3",
		},
		{
			name:   "no panic: last line, not a register dump's first",
			stderr: "starting\nworker: decode spec: unexpected end of JSON input\n",
			want:   "worker: decode spec: unexpected end of JSON input",
		},
		{name: "empty", stderr: "", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Crash(tt.stderr); got != tt.want {
				t.Errorf("Crash() =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestDeadline(t *testing.T) {
	const s = 1_000_000_000
	tests := []struct {
		name string
		spec Spec
		want int64 // seconds
	}{
		{"closed: warm-up + window + a timeout + grace", Spec{Model: "closed", Warmup: 1 * s, Duration: 3 * s, Timeout: 2 * s}, 1 + 3 + 2 + 5},
		{"batch: one timeout per round of jobs", Spec{Model: "batch", Workers: 2, Jobs: 5, Timeout: 1 * s}, 3 + 1 + 5},
		{"default timeout", Spec{Model: "closed", Duration: 1 * s}, 1 + 30 + 5},
		{"saturates instead of overflowing", Spec{Model: "batch", Workers: 1, Jobs: 1 << 40, Timeout: 1 << 40}, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Deadline(tt.spec)
			if tt.want < 0 {
				if got <= 0 {
					t.Fatalf("Deadline overflowed: %v", got)
				}
				return
			}
			if int64(got) != tt.want*s {
				t.Errorf("Deadline = %v, want %ds", got, tt.want)
			}
		})
	}
}
