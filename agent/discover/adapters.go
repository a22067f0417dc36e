package discover

import (
	"github.com/egovnet/egovnet/agent/classify"
	"github.com/egovnet/egovnet/internal/wire"
)

// ClassifyRole is the default Hooks.Role: agent/classify over what the
// endpoint showed.
func ClassifyRole(e wire.Endpoint, forwards bool) string {
	return classify.Role(classify.Input{OpenPorts: e.OpenPorts, SysObjectID: e.SysObjectID, SysDescr: e.SysDescr, Forwards: forwards})
}
