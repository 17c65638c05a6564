package report

import (
	"bytes"
	"fmt"
	"io"

	"github.com/scalebench/scalebench/internal/results"
)

// resultsOpen and resultsClose delimit the raw results a report page
// embeds (see the page template).
var (
	resultsOpen  = []byte(`<script type="application/json" id="results">`)
	resultsClose = []byte(`</script>`)
)

// ReadHTML recovers the run a report.html embeds, so a report can be
// rebuilt from the page alone.
func ReadHTML(path string) (*results.Run, error) {
	f, err := results.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// The page is the results plus charts: allow it twice the results'
	// limit.
	limit := int64(2 * results.MaxFileSize)
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("read %s: larger than %d MiB, the limit for a report page", path, limit>>20)
	}
	return DecodeHTML(path, data)
}

// DecodeHTML extracts and decodes the results embedded in a report page;
// name is used in error messages.
func DecodeHTML(name string, page []byte) (*results.Run, error) {
	i := bytes.Index(page, resultsOpen)
	if i < 0 {
		return nil, fmt.Errorf("read %s: not a scalebench report page: it has no embedded results (<script id=\"results\">)", name)
	}
	body := page[i+len(resultsOpen):]
	j := bytes.Index(body, resultsClose)
	if j < 0 {
		return nil, fmt.Errorf("read %s: the embedded results are cut short (no </script>)", name)
	}
	body = bytes.TrimSpace(body[:j])
	if bytes.Equal(body, []byte("null")) {
		return nil, fmt.Errorf("read %s: the page was written without its results (see its warnings)", name)
	}
	return results.Decode(name, body)
}

// IsHTML reports whether data looks like an HTML page rather than JSON.
func IsHTML(data []byte) bool {
	data = bytes.TrimLeft(data, " \t\r\n\ufeff")
	return len(data) > 0 && data[0] == '<'
}
