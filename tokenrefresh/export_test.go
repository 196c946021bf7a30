package tokenrefresh

// CreateTemp lets the tests hold a temporary file open as a writer does
// between its creation and its rename.
var CreateTemp = createTemp
