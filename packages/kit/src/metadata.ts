import { METADATA } from "@symphony/proto/contracts";

// Short names for the metadata keys of the contracts, used where services build calls.
export const SESSION_TOKEN = METADATA.sessionToken;
export const KEY_MANAGER_TOKEN = METADATA.keyManagerToken;
export const CLIENT_CERT_CN = METADATA.clientCertificateName;
export const HTTP_STATUS = METADATA.httpStatus;
