// Package cluster runs a measurement's replicas on agents over NATS: an
// embedded NATS server for one machine, the protocol between the harness
// (Coordinator) and its agents (Agent), and the connection options for an
// external server. Payloads (a replica's spec and its report) are opaque
// JSON here; package agent defines them (agent.Task, worker.Report).
//
// # Server and credentials
//
// StartServer binds 127.0.0.1 on a port the OS chooses and admits only
// clients presenting a random per-run token; local processes get URL, token
// and run id through the environment (Server.Env: SCALEBENCH_NATS_URL,
// SCALEBENCH_NATS_TOKEN, SCALEBENCH_RUN), never through argv. Against an
// external server, Connect takes a token, a credentials file, an NKey seed
// and TLS files, and fails at once, naming the cause, when the server
// refuses them.
//
// # Subjects
//
// Every subject lives under sb.<run>, so runs sharing a server never mix:
//
//	sb.<run>.register                 agent → harness, request (micro endpoint)
//	sb.<run>.agent.<id>.<inc>.clock   harness → agent process, request: clock ping-pong
//	sb.<run>.agent.<id>.<inc>.assign  harness → agent process, request: one replica's spec
//	sb.<run>.ready              agent → harness, request (micro endpoint)
//	sb.<run>.go                 harness → all, the one go broadcast
//	sb.<run>.hb                 agent → harness, heartbeat of a busy replica
//	sb.<run>.alive              agent → harness, request: is a harness there?
//	sb.<run>.report             agent → harness, request (micro endpoint)
//	sb.<run>.abort              harness → all, a measurement was abandoned
//	sb.<run>.hello              harness → all, a new harness is listening
//
// The harness's endpoints form the NATS micro service "scalebench-harness",
// visible to `nats micro ls`. Every message carries the protocol version
// (Protocol); an agent whose registration is answered in another version
// fails at once with a *ProtocolError naming both versions, and the harness
// refuses an agent of another version. Any other malformed message is
// logged and ignored.
//
// # Trust
//
// The harness has a session id, new for every coordinator, and each agent
// process an incarnation and a curve key pair. An agent acts only on
// assignments of the session it registered with, addressed to its id and
// incarnation; each carries a random key sealed to the agent's curve key,
// under which the agent's ready, heartbeats (numbered, so a replay is
// stale) and report carry an HMAC the harness checks. Go and abort name
// the session. With Config.SignKey the harness signs every message it
// sends (header Scalebench-Sig, over subject and payload) and agents with
// AgentConfig.HarnessKey ignore any it did not sign. A second live process
// registering under a taken id is refused (ErrIDTaken).
//
// # Message flow
//
// An agent registers (id, host, CPUs, version, protocol, its curve public
// key, and an incarnation that is new for every agent process). The harness then pings it several
// times and keeps, NTP-style, the offset ((t1-t0)+(t2-t3))/2 of the sample
// with the smallest round trip; WaitAgents counts an agent once that is done.
// A measurement (Coordinator.Measure) sends one assign per replica; each
// carries the measurement id, the replica index, the heartbeat interval and a
// deadline for the go signal. The agent runs the spec through its Work
// function, which prepares and calls ready; when every replica is ready the
// harness broadcasts go once. Each agent stamps the go's arrival on its own
// clock; the harness corrects the stamps by the agents' offsets and records
// their spread as the measurement's start skew. Reports are requests: the
// agent resends each until the harness acknowledges it, and the harness keeps
// the first per measurement and replica, so a reconnect neither loses nor
// double-counts one.
//
// On one machine the harness can start one worker process per replica, each
// a one-shot agent (AgentConfig.Once) named after its measurement and
// replica, wait for exactly those (Coordinator.WaitFor), run the measurement
// and Forget them; agents on other machines are long-lived and serve one
// measurement after another.
//
// # Failures
//
// From its assignment to its acknowledged report, every replica's agent sends
// a heartbeat each interval. A replica not heard of for two intervals, one not
// ready by the deadline, one whose Work fails, and every replica of an agent
// that registers again as a new process fail the measurement: Measure returns
// a *MeasureError naming each agent and replica, and broadcasts abort so the
// others stop. An agent drops an assignment whose go has not come by its
// deadline, so a restarted or partitioned agent is never stuck waiting for a
// go that has passed; it registers again whenever its connection comes back
// or a new harness says hello, and is then ready for the next measurement.
// A busy agent also asks every heartbeat interval whether a harness of its
// run is still there; when, with the server up, none answers three times in
// a row (a harness killed outright), it stops the replica's work.
// Retrying a failed measurement (under a new measurement id) is the caller's
// decision.
package cluster
