"""Stage two: values out of report text. `thai` reads Thai numbers, years, dates and tab tables;
`recipes` turns a package recipe into rows, each with the passage it was quoted from."""
