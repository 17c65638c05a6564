package imageserver

import (
	"errors"
	"fmt"
	"image/color"
	"strconv"
	"strings"
)

// Errors reported for URL paths, by Encode and as HTTP statuses by the server.
var (
	// ErrBadPath marks a malformed image path (HTTP 400).
	ErrBadPath = errors.New("imageserver: bad image path")
	// ErrNotFound marks a path that is not an image path at all (HTTP 404).
	ErrNotFound = errors.New("imageserver: not found")
)

// defaultMaxSize is the largest width or height allowed when Config.MaxSize is 0.
const defaultMaxSize = 8000

var (
	defaultBG = color.NRGBA{0xcc, 0xcc, 0xcc, 0xff}
	defaultFG = color.NRGBA{0x00, 0x00, 0x00, 0xff}
)

// spec is a parsed image path; it is comparable and serves as the cache key.
type spec struct {
	w, h   int
	bg, fg color.NRGBA
	format string // "jpeg", "png" or "gif"
}

// pathError is a path problem whose message is the one-line reason sent
// to the client; it matches ErrBadPath or ErrNotFound.
type pathError struct {
	kind   error
	reason string
}

func (e *pathError) Error() string { return e.reason }
func (e *pathError) Unwrap() error { return e.kind }

func badPath(format string, args ...any) error {
	return &pathError{kind: ErrBadPath, reason: fmt.Sprintf(format, args...)}
}

// parsePath parses an image URL path (see the package documentation),
// allowing widths and heights up to maxSize.
func parsePath(path string, maxSize int) (spec, error) {
	rest, ok := strings.CutPrefix(path, "/")
	if !ok || rest == "" || rest[0] < '0' || rest[0] > '9' {
		return spec{}, &pathError{kind: ErrNotFound, reason: fmt.Sprintf("not found: %q", path)}
	}
	segs := strings.Split(rest, "/")
	if len(segs) > 3 {
		return spec{}, badPath("bad path %q: want /WxH[/bg[/fg]].ext", path)
	}
	last := segs[len(segs)-1]
	dot := strings.LastIndexByte(last, '.')
	if dot < 0 {
		return spec{}, badPath("bad path %q: missing extension, want .jpg, .jpeg, .png or .gif", path)
	}
	segs[len(segs)-1], last = last[:dot], last[dot+1:]

	sp := spec{bg: defaultBG, fg: defaultFG}
	switch strings.ToLower(last) {
	case "jpg", "jpeg":
		sp.format = "jpeg"
	case "png":
		sp.format = "png"
	case "gif":
		sp.format = "gif"
	default:
		return spec{}, badPath("unsupported format %q: want jpg, jpeg, png or gif", last)
	}

	var err error
	if sp.w, sp.h, err = parseSize(segs[0], maxSize); err != nil {
		return spec{}, err
	}
	if len(segs) > 1 {
		if sp.bg, err = parseColour(segs[1]); err != nil {
			return spec{}, err
		}
	}
	if len(segs) > 2 {
		if sp.fg, err = parseColour(segs[2]); err != nil {
			return spec{}, err
		}
	}
	return sp, nil
}

// parseSize parses "WxH" (or "WXH") with both sides in 1..maxSize.
func parseSize(s string, maxSize int) (w, h int, err error) {
	ws, hs, ok := strings.Cut(strings.ToLower(s), "x")
	if !ok {
		return 0, 0, badPath("bad size %q: want WxH, e.g. 640x480", s)
	}
	w, okw := parseDim(ws)
	h, okh := parseDim(hs)
	if !okw || !okh || w < 1 || h < 1 || w > maxSize || h > maxSize {
		return 0, 0, badPath("bad size %q: width and height must be 1..%d", s, maxSize)
	}
	return w, h, nil
}

// parseDim parses a plain decimal number of at most 9 digits.
func parseDim(s string) (int, bool) {
	if s == "" || len(s) > 9 || strings.TrimLeft(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

// parseColour parses 1, 2, 3 or 6 hex digits (see parsePath).
func parseColour(s string) (color.NRGBA, error) {
	var full string
	switch len(s) {
	case 1:
		full = strings.Repeat(s, 6)
	case 2:
		full = strings.Repeat(s, 3)
	case 3:
		full = string([]byte{s[0], s[0], s[1], s[1], s[2], s[2]})
	case 6:
		full = s
	}
	n, err := strconv.ParseUint(full, 16, 32)
	if full == "" || err != nil {
		return color.NRGBA{}, badPath("bad colour %q: want 3 or 6 hex digits", s)
	}
	return color.NRGBA{R: uint8(n >> 16), G: uint8(n >> 8), B: uint8(n), A: 0xff}, nil
}
