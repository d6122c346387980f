package broker

import (
	"bytes"
	"crypto/subtle"
	"fmt"
	"log/slog"
	"net"
	"strings"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/linewise/linewise/central/throttle"
	"github.com/linewise/linewise/edge/wire"
)

// EdgeAuthenticator checks an edge's credentials: its id as MQTT username,
// its token as password.
type EdgeAuthenticator interface {
	AuthenticateEdge(id string, token []byte) bool
	// Known reports whether id is a configured edge.
	Known(id string) bool
}

// EdgeClientIDPrefix starts the client id an edge connects with by default
// (linewise-edge-<edge id>). Every client id under it is reserved for edges.
const EdgeClientIDPrefix = "linewise-edge-"

// Auth is who may connect: central's own client (full access) and edges,
// each limited to publishing on its events and status topics (its Last Will
// too) and subscribing to its ack topic. Anonymous clients are refused unless AnonymousTopics is set, and
// then limited to those topics.
type Auth struct {
	CentralUsername string
	CentralPassword string
	// CentralClientID is reserved for central: no edge may connect with it
	// and take over central's session.
	CentralClientID string
	Edges           EdgeAuthenticator
	// AnonymousTopics lets clients without credentials (a device simulator,
	// a sensor gateway) publish and subscribe below these topics only: each
	// is an exact topic or "prefix/#". See ValidAnonymousTopic.
	AnonymousTopics []string
	// Guard, when set, throttles failed edge credentials per address and
	// per claimed edge id.
	Guard *throttle.EdgeGuard
}

// ValidAnonymousTopic checks an AnonymousTopics entry: an exact topic or
// "prefix/#" without other wildcards, never reaching linewise's own topics.
func ValidAnonymousTopic(f string) error {
	prefix := strings.TrimSuffix(f, "/#")
	switch {
	case prefix == "" || strings.ContainsAny(prefix, "+#"):
		return fmt.Errorf("%q must be a topic or prefix/# without other wildcards", f)
	case strings.HasPrefix(prefix, "$"):
		return fmt.Errorf("%q: $ topics are the broker's", f)
	case prefix == "linewise" || strings.HasPrefix(prefix, "linewise/"):
		return fmt.Errorf("%q: linewise/ topics are for central and edges only", f)
	}
	return nil
}

// anonymousAllowed reports whether topic (or subscription filter) lies
// within one of the allowed entries. A filter's own wildcards stay below
// the entry's prefix, so they cannot reach further.
func anonymousAllowed(allowed []string, topic string) bool {
	for _, f := range allowed {
		if prefix, ok := strings.CutSuffix(f, "/#"); ok {
			if topic == prefix || topic == f || strings.HasPrefix(topic, prefix+"/") {
				return true
			}
		} else if topic == f {
			return true
		}
	}
	return false
}

type authHook struct {
	mqtt.HookBase
	auth Auth
	log  *slog.Logger
}

func (h *authHook) ID() string { return "linewise-auth" }

func (h *authHook) Provides(b byte) bool {
	return bytes.Contains([]byte{mqtt.OnConnectAuthenticate, mqtt.OnACLCheck}, []byte{b})
}

func (h *authHook) isCentral(user []byte) bool {
	return h.auth.CentralUsername != "" && string(user) == h.auth.CentralUsername
}

// OnConnectAuthenticate decides who may connect. A client id belongs to a
// credential: an edge's (linewise-edge-<id>, or its bare id) only to that
// edge, central's only to central, and every other linewise-edge- id to
// nobody, so no client can take over an edge's session (and with it the
// acks central sends the edge). Failed edge credentials and claims of an
// edge's client id are throttled.
func (h *authHook) OnConnectAuthenticate(cl *mqtt.Client, pk packets.Packet) bool {
	user, pass := pk.Connect.Username, pk.Connect.Password
	addr := remoteHost(cl.Net.Remote)
	owner, reserved := h.clientIDOwner(cl.ID)
	claim := owner
	if len(user) > 0 && !h.isCentral(user) {
		claim = string(user)
	}
	if retry, blocked := h.auth.Guard.Blocked(claim, addr); blocked {
		h.log.Debug("refusing a connection while locked out", "client_id", cl.ID, "username", string(user), "remote", cl.Net.Remote, "retry", retry)
		return false
	}
	refuse := func(reason string, failedAs string) bool {
		h.log.Debug("refusing connection", "reason", reason, "client_id", cl.ID, "username", string(user), "remote", cl.Net.Remote)
		h.auth.Guard.Fail("mqtt", failedAs, addr)
		return false
	}
	if h.isCentral(user) {
		if h.auth.CentralPassword == "" || subtle.ConstantTimeCompare(pass, []byte(h.auth.CentralPassword)) != 1 {
			return refuse("wrong password for central", "")
		}
		return true
	}
	if h.auth.CentralClientID != "" && cl.ID == h.auth.CentralClientID {
		return refuse("central's client id", "") // nobody else may take over central's session
	}
	if len(user) == 0 {
		switch {
		case owner != "":
			return refuse("anonymous client with an edge's client id", owner)
		case reserved:
			return refuse("anonymous client with a reserved client id", "")
		case len(pass) != 0 || len(h.auth.AnonymousTopics) == 0:
			return refuse("no username", "")
		}
		// The broker sends a will without an ACL check, so its topic is
		// checked here: one the client may not publish refuses the connection.
		return !pk.Connect.WillFlag || h.mayPublish(user, pk.Connect.WillTopic)
	}
	if h.auth.Edges == nil || !h.auth.Edges.AuthenticateEdge(string(user), pass) {
		return refuse("wrong edge credentials", string(user))
	}
	if owner != string(user) {
		// A configuration mistake, not a guess: said at Warn each time.
		h.log.Warn("refusing edge: it must connect with its own client id", "edge", string(user),
			"client_id", cl.ID, "want", EdgeClientIDPrefix+string(user), "remote", cl.Net.Remote)
		return false
	}
	if pk.Connect.WillFlag && !h.mayPublish(user, pk.Connect.WillTopic) {
		return false
	}
	h.auth.Guard.Succeed(string(user), addr)
	return true
}

// clientIDOwner says which configured edge a client id belongs to, and
// whether it is reserved for edges at all (every linewise-edge- id is).
func (h *authHook) clientIDOwner(id string) (edge string, reserved bool) {
	if rest, ok := strings.CutPrefix(id, EdgeClientIDPrefix); ok {
		if h.auth.Edges != nil && h.auth.Edges.Known(rest) {
			return rest, true
		}
		return "", true
	}
	if h.auth.Edges != nil && h.auth.Edges.Known(id) {
		return id, true
	}
	return "", false
}

func remoteHost(remote string) string {
	if host, _, err := net.SplitHostPort(remote); err == nil {
		return host
	}
	return remote
}

// mayPublish is the write rule for a client that is not central: an edge
// publishes its batches and its status, an anonymous client its topics.
func (h *authHook) mayPublish(user []byte, topic string) bool {
	if len(user) == 0 {
		return anonymousAllowed(h.auth.AnonymousTopics, topic)
	}
	return topic == wire.EventsTopic(string(user)) || topic == wire.StatusTopic(string(user))
}

func (h *authHook) OnACLCheck(cl *mqtt.Client, topic string, write bool) bool {
	user := cl.Properties.Username
	if h.isCentral(user) {
		return true
	}
	if write {
		return h.mayPublish(user, topic)
	}
	if len(user) == 0 {
		return anonymousAllowed(h.auth.AnonymousTopics, topic)
	}
	return topic == wire.AckTopic(string(user))
}
