package scenario

import (
	"strings"
	"testing"
)

// BenchmarkParseLimits parses the costliest inputs the limits let through
// to the parser, and the costliest they refuse: how long a signal may wait
// for parsing to end, and the memory it takes.
func BenchmarkParseLimits(b *testing.B) {
	flat := "name: x\nmatrix:\n  workers: [" + strings.Repeat("[],", (MaxTokens-20)/3) + "1]\n"
	deep := "name: x\nload: " + strings.Repeat("[", MaxDepth-1) + strings.Repeat("]", MaxDepth-1) + "\n"
	for _, bc := range []struct{ name, data string }{
		{"tokens-at-limit", flat},
		{"depth-at-limit", deep},
		{"size-at-limit", "name: x\ndescription: " + strings.Repeat("x", MaxFileSize-30) + "\n"},
		{"refused-tokens", "name: x\nmatrix:\n  workers: [" + strings.Repeat("[],", MaxFileSize/3-20) + "1]\n"},
		{"aliases-of-a-long-list", "name: x\nmatrix:\n  workers: &a [" + strings.Repeat("1,", 9000) + "1]\n  gomaxprocs: [" + strings.Repeat("*a,", 9000) + "*a]\n"},
		{"refused-depth", "name: x\nload: " + strings.Repeat("[", MaxFileSize/2-20) + strings.Repeat("]", MaxFileSize/2-20) + "\n"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			data := []byte(bc.data)
			if len(data) > MaxFileSize {
				b.Fatalf("%d bytes, over the limit", len(data))
			}
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				_, _ = Parse("bench.yaml", data)
			}
		})
	}
}
