package scenario

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
)

// UnmarshalText reads a Go duration string such as "50ms" or "3s".
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(strings.TrimSpace(string(b)))
	if err != nil {
		return fmt.Errorf("not a duration like \"3s\" or \"500ms\": %q", b)
	}
	*d = Duration(v)
	return nil
}

// String formats the rate as jobs per second, e.g. "100/s".
func (r Rate) String() string { return strconv.FormatFloat(float64(r), 'g', -1, 64) + "/s" }

// UnmarshalYAML reads a rate written as a number (per second) or as a
// string such as "100/s" or "6000/min".
func (r *Rate) UnmarshalYAML(b []byte) error {
	var v any
	if err := yaml.Unmarshal(b, &v); err != nil {
		return err
	}
	switch v := v.(type) {
	case int64:
		*r = Rate(v)
	case uint64:
		*r = Rate(v)
	case float64:
		*r = Rate(v)
	case string:
		p, err := ParseRate(v)
		if err != nil {
			return err
		}
		*r = p
	default:
		return fmt.Errorf("not a rate like 100 or \"100/s\": %s", strings.TrimSpace(string(b)))
	}
	return nil
}

// rateUnits maps the unit after "/" to its length in seconds.
var rateUnits = map[string]float64{
	"": 1, "s": 1, "sec": 1, "second": 1,
	"ms": 0.001,
	"m":  60, "min": 60, "minute": 60,
	"h": 3600, "hour": 3600,
}

// ParseRate parses "100", "100/s", "2.5/ms", "6000/min" or "60/h" into
// jobs per second. It does not check the sign.
func ParseRate(s string) (Rate, error) {
	num, unit, slash := strings.Cut(s, "/")
	unit = strings.TrimSpace(unit)
	per, ok := rateUnits[unit]
	if !ok || (slash && unit == "") {
		return 0, fmt.Errorf("unknown rate unit %q: want s, ms, min or h", unit)
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("not a rate like 100 or \"100/s\": %q", s)
	}
	return Rate(v / per), nil
}
