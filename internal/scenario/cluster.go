package scenario

import (
	"net/url"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"
)

// Cluster runs the replicas on agents on other machines, over an existing
// NATS server, instead of worker processes on this one. Credentials never
// go here: the scenario is copied into results.json.
type Cluster struct {
	// NATSURL is the server the harness and the agents connect to.
	NATSURL string `json:"nats_url,omitempty"`
	// Agents is how many agents to wait for before the first measurement.
	Agents int `json:"agents,omitempty"`
	// Run is the run id the agents were started with (`scalebench agent
	// --run`); default "default".
	Run string `json:"run,omitempty"`
	// Wait bounds the wait for the agents; default 2m.
	Wait Duration `json:"wait,omitempty"`
	// Retries is how often a failed measurement is tried again; default 1.
	Retries *int `json:"retries,omitempty"`
}

// MaxAgents bounds cluster.agents.
const MaxAgents = 10000

func (d *decoder) cluster(path string, n ast.Node, c *Cluster) {
	d.mapping(path, n, []field{
		{"nats_url", func(p string, v ast.Node) {
			x, ok := d.str(p, v)
			if !ok {
				return
			}
			// A list of servers, comma-separated, is checked entry by entry.
			var badURL, secret bool
			for _, entry := range strings.Split(x, ",") {
				u, err := url.Parse(strings.TrimSpace(entry))
				badURL = badURL || err != nil || u.Host == "" || (u.Scheme != "nats" && u.Scheme != "tls" && u.Scheme != "ws" && u.Scheme != "wss")
				secret = secret || strings.Contains(entry, "@") || (err == nil && u.User != nil)
			}
			switch {
			case secret:
				// Not quoted: the value holds a secret.
				d.bad[p] = true
				d.addf(d.lineOf(v), p, "must not carry credentials (the scenario is copied into results.json); give the token in the environment variable SCALEBENCH_NATS_TOKEN or use --nats-creds / --nats-nkey")
			case badURL:
				d.rangeErr(p, v, "must be a NATS server URL like nats://nats.example.com:4222 (schemes nats, tls, ws, wss), or a comma-separated list of them")
			default:
				c.NATSURL = x
			}
		}},
		{"agents", func(p string, v ast.Node) {
			x, _ := d.integer(p, v, 1, MaxAgents)
			c.Agents = int(x)
		}},
		{"run", func(p string, v ast.Node) {
			if x, ok := d.str(p, v); ok {
				if !nameRE.MatchString(x) {
					d.rangeErr(p, v, "must be letters, digits, - and _ only (the agents' --run)")
					return
				}
				c.Run = x
			}
		}},
		{"wait", func(p string, v ast.Node) { c.Wait, _ = d.duration(p, v, durLimits{max: time.Hour}) }},
		{"retries", func(p string, v ast.Node) {
			if x, ok := d.integer(p, v, 0, 10); ok {
				r := int(x)
				c.Retries = &r
			}
		}},
	})
}
