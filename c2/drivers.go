package c2

import (
	"context"
	"encoding/json"
	"net/http"
)

// DriversService reads the Automated Piloting Framework (APF): the drivers
// that turn algorithms' actions into commands for platforms.
type DriversService service

// Driver is one APF driver.
type Driver struct {
	// ModuleName names the driver, such as "simple".
	ModuleName string `json:"module_name"`
	// Description says what the driver does, as its authors wrote it.
	Description string `json:"description"`
	// ParameterSchema is the JSON Schema of the driver's parameters; JSON
	// null if it takes none.
	ParameterSchema json.RawMessage `json:"parameter_schema"`
	// StatusSchema is the JSON Schema of the status the driver reports;
	// JSON null if it reports none.
	StatusSchema json.RawMessage `json:"status_schema"`
}

const driversPath = "/apf/drivers"

// List returns the drivers the token may see; an empty list is not an
// error.
//
// C2 API: GET /apf/drivers
func (s *DriversService) List(ctx context.Context) ([]Driver, error) {
	req, err := s.client.NewRequest(ctx, http.MethodGet, driversPath, nil)
	if err != nil {
		return nil, err
	}
	drivers := []Driver{}
	if _, err := s.client.Do(req, &drivers); err != nil {
		return nil, err
	}
	return drivers, nil
}
