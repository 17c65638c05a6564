// Package worker is the worker side of a measurement: what one worker
// process runs (Spec), the load model's execution with the thumbnail
// workload and its recorder (Execute), what it reports (Report), and the
// worker protocol between a harness and a worker process: its version and
// a build's description of itself (ProtocolVersion, Describe), the body of
// a worker process speaking it over its pipes (Main), and the starter's end
// of those pipes (Proc), which the harness and an agent share to start and
// drive worker processes on their machine.
//
// It knows nothing of scenarios, results files or NATS: the harness
// (package runner) turns a scenario's cells into specs and reports into
// results, and package agent carries specs and reports over NATS.
package worker
