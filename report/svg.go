package report

import (
	"html/template"
	"regexp"
	"strings"
)

var (
	svgProlog = regexp.MustCompile(`(?s)^.*?<svg\s`)
	svgSize   = regexp.MustCompile(`\s(width|height)="[^"]*"`)
	svgNS     = regexp.MustCompile(`\sxmlns(:xlink)?="[^"]*"`)
)

// inlineSVG turns a standalone SVG document into an element for an HTML
// page: no XML prolog, no fixed size (the viewBox and CSS scale it), no
// namespace URLs (HTML implies them), and an accessible name.
func inlineSVG(doc []byte, title string) template.HTML {
	s := string(doc)
	open := svgProlog.FindStringIndex(s)
	if open == nil {
		return ""
	}
	head, rest, _ := strings.Cut(s[open[1]:], ">")
	head = svgSize.ReplaceAllString(" "+head, "")
	head = svgNS.ReplaceAllString(head, "")
	head = strings.Join(strings.Fields(head), " ")
	el := `<svg ` + head + ` role="img" aria-label="` + template.HTMLEscapeString(title) + `">` + rest
	// Text is html-escaped by the SVG writer; the rest is our own drawing.
	return template.HTML(strings.TrimSpace(el))
}
