"""Wire schemas: what the API takes (``XCreate``, ``XUpdate``) and gives (``XPublic``)."""
