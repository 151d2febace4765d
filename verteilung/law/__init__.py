"""The statutory keys as code: FlüAG, AWoV and the generic weighted key they share."""
