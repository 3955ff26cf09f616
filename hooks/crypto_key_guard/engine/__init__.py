"""The scanner: rules as data, extraction and recognition, validators, findings. Imports nothing outside itself
but util/ and errors."""
