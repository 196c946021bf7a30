package c2test

import (
	"encoding/json"
	"net/http"
)

// driver is one entry of GET /apf/drivers: a piloting driver of the
// Automated Piloting Framework. A nil schema is answered as null.
type driver struct {
	ModuleName      string          `json:"module_name"`
	Description     string          `json:"description"`
	ParameterSchema json.RawMessage `json:"parameter_schema"`
	StatusSchema    json.RawMessage `json:"status_schema"`
}

// drivers returns the drivers the fake lists. The first two are those the
// C2 notebook prints; the third shows schemas that are objects.
func drivers() []driver {
	return []driver{
		{
			ModuleName: "simple",
			Description: "Simple driver which accepts actions asynchronously from all connected\n" +
				"    algorithms, and calls the relevant APIs straight away. It does not wait\n" +
				"    for the associated platform to be in the correct state -- unless\n" +
				"    the platform, related APIs or the driver itself reach an error/failure\n" +
				"    state, in which case the driver halts.\n\n" +
				"    For example: this driver would take accepted plan updates at any time and\n" +
				"    convert them into platform-specific files, upload and commit them to\n" +
				"    greatblue2 and send them to the platform instantly, without requiring\n" +
				"    the platform to have connected and had its state validated.\n\n" +
				"    However, if an error is then raised somewhere, the driver will process\n" +
				"    no further actions.",
		},
		{
			ModuleName: "simple_no_upload",
			Description: "Does what `simple` does, but does not upload or send files via the\n" +
				"    greatblue2 API -- it creates the platform-specific files and records\n" +
				"    what it would have sent, for dry runs against a live deployment.",
		},
		{
			ModuleName: "waypoint_queue",
			Description: "Queues plan updates and sends the next one only once the platform has\n" +
				"    surfaced, connected and had its state validated.",
			ParameterSchema: json.RawMessage(`{"type":"object","properties":{` +
				`"max_queue_length":{"type":"integer","minimum":1,"default":5},` +
				`"surface_timeout_minutes":{"type":"integer","minimum":1,"default":90}},` +
				`"additionalProperties":false}`),
			StatusSchema: json.RawMessage(`{"type":"object","properties":{` +
				`"queue_length":{"type":"integer"},` +
				`"last_sent":{"type":["string","null"],"format":"date-time"},` +
				`"state":{"enum":["idle","waiting_for_surface","sending","halted"]}}}`),
		},
	}
}

// handleDrivers serves GET /apf/drivers.
func (s *Server) handleDrivers(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.authenticate(w, r); !ok {
		return
	}
	writeJSON(w, http.StatusOK, drivers())
}
