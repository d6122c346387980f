package broker

import (
	"bytes"
	"crypto/subtle"
	"fmt"
	"strings"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/linewise/linewise/edge/wire"
)

// EdgeAuthenticator checks an edge's credentials: its id as MQTT username,
// its token as password.
type EdgeAuthenticator interface {
	AuthenticateEdge(id string, token []byte) bool
}

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
}

func (h *authHook) ID() string { return "linewise-auth" }

func (h *authHook) Provides(b byte) bool {
	return bytes.Contains([]byte{mqtt.OnConnectAuthenticate, mqtt.OnACLCheck}, []byte{b})
}

func (h *authHook) isCentral(user []byte) bool {
	return h.auth.CentralUsername != "" && string(user) == h.auth.CentralUsername
}

func (h *authHook) OnConnectAuthenticate(cl *mqtt.Client, pk packets.Packet) bool {
	user, pass := pk.Connect.Username, pk.Connect.Password
	if h.isCentral(user) {
		return h.auth.CentralPassword != "" && subtle.ConstantTimeCompare(pass, []byte(h.auth.CentralPassword)) == 1
	}
	if h.auth.CentralClientID != "" && cl.ID == h.auth.CentralClientID {
		return false // nobody else may take over central's session
	}
	// The broker sends a will without an ACL check, so its topic is
	// checked here: one an edge may not publish refuses the connection.
	if pk.Connect.WillFlag && !h.mayPublish(user, pk.Connect.WillTopic) {
		return false
	}
	if len(user) == 0 {
		return len(pass) == 0 && len(h.auth.AnonymousTopics) > 0
	}
	return h.auth.Edges != nil && h.auth.Edges.AuthenticateEdge(string(user), pass)
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
