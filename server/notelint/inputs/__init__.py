"""What feeds the core: note files (``files``), FHIR resources (``fhir``) and the project
configuration (``config``). These import the core and the knowledge base only."""
