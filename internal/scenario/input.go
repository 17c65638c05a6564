package scenario

import (
	"bytes"
	"io"
	"os"

	"github.com/goccy/go-yaml/lexer"
	"github.com/goccy/go-yaml/token"
)

// Limits on a scenario file, checked before the YAML parser builds a tree.
// The YAML lexer costs about 300 bytes per token and its parser more again,
// growing with the square of the nesting depth (10,000 levels of "[" take
// about 280 MB); within these bounds validating any file takes under 100 MB
// and a fraction of a second (see BenchmarkParseLimits).
const (
	// MaxFileSize is the largest scenario file read, in bytes. A scenario
	// that sweeps 10,000 cells fits in a few tens of KiB.
	MaxFileSize = 256 << 10
	// MaxTokens is the most YAML tokens (keys, values, punctuation) a
	// scenario may hold; the lexer's cost of a whole file is bounded by
	// MaxFileSize, the parser's by this.
	MaxTokens = 50_000
	// MaxDepth is the deepest nesting of mappings and lists accepted; a
	// scenario needs 3 (matrix: {workers: [1, 2]}).
	MaxDepth = 32
)

// bom is the UTF-8 byte order mark some editors put at the start of a file.
var bom = []byte{0xEF, 0xBB, 0xBF}

// ReadFile reads a scenario file of at most MaxFileSize bytes. A larger
// file gives an *Error wrapping ErrInvalid; failing to open or read it
// gives the *os.PathError.
func ReadFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileSize {
		return nil, tooLarge(path)
	}
	return data, nil
}

// tooLargeMsg reports a file over MaxFileSize.
const tooLargeMsg = "file is larger than %d KiB, the limit for a scenario file; a scenario needs a few KiB"

func tooLarge(file string) error {
	ps := problems{file: file}
	ps.addf(0, "", tooLargeMsg, MaxFileSize>>10)
	return ps.err()
}

// lex strips a leading byte order mark and splits data into YAML tokens,
// reporting a file too large, with too many tokens or nested too deeply
// before anything builds a tree from them.
func (d *decoder) lex(data []byte) (token.Tokens, bool) {
	if len(data) > MaxFileSize {
		d.addf(0, "", tooLargeMsg, MaxFileSize>>10)
		return nil, false
	}
	data = bytes.TrimPrefix(data, bom)
	tokens := lexer.Tokenize(string(data))
	if line, depth := nesting(tokens); depth > MaxDepth {
		d.addf(line, "", "nested more than %d levels deep, the limit for a scenario file; a scenario needs 3 (matrix: {workers: [1, 2]})", MaxDepth)
		return nil, false
	}
	if len(tokens) > MaxTokens {
		d.addf(tokenLine(tokens[MaxTokens]), "", "more than %d YAML tokens (keys, values and punctuation), the limit for a scenario file; a scenario needs a few hundred", MaxTokens)
		return nil, false
	}
	return tokens, true
}

// nesting returns an upper bound of how deeply tokens nest mappings and
// lists, and the line where it first exceeds MaxDepth (0 when it does not).
// Flow collections count their brackets. Block collections count the
// indentation columns open at a line: that of the line's first token, and
// that of each token after a "-", "?" or ":" on the same line (as in
// "- - x" or "- key: value"). A line at the same column as an open one
// after a line that ended in "-", "?" or ":" counts as one level deeper
// until a line at a smaller column: a list may sit at its key's column, and
// the parser nests the next line into an empty "-" ("-\n0:\n-\n0:" is four
// levels deep, and so is "- &a\n0:\n- &a\n0:\n-"). A file with many keys
// at one column each with a list at that column counts too deep, which a
// scenario (3 levels, 5 such keys at most) stays far from.
func nesting(tokens token.Tokens) (line, depth int) {
	var cols []int // open block indentation columns, non-decreasing
	top := func() int {
		if len(cols) == 0 {
			return 0
		}
		return cols[len(cols)-1]
	}
	flow, lastLine, indicator := 0, 0, false
	for _, tk := range tokens {
		if tk == nil || tk.Position == nil || tk.Type == token.CommentType {
			continue
		}
		ln, col := tk.Position.Line, tk.Position.Column
		if flow == 0 {
			switch {
			case ln != lastLine:
				for len(cols) > 0 && top() > col {
					cols = cols[:len(cols)-1]
				}
				if top() < col || indicator {
					cols = append(cols, col) // deeper, or nested at the same column
				}
			case indicator && top() < col:
				cols = append(cols, col)
			}
			switch tk.Type {
			case token.SequenceEntryType, token.MappingKeyType, token.MappingValueType:
				indicator = true
			default:
				indicator = false
			}
		}
		lastLine = ln
		switch tk.Type {
		case token.SequenceStartType, token.MappingStartType:
			flow++
		case token.SequenceEndType, token.MappingEndType:
			flow = max(flow-1, 0)
		}
		if d := len(cols) + flow; d > depth {
			depth = d
			if depth > MaxDepth {
				return ln, depth
			}
		}
	}
	return 0, depth
}
