import type { Bus, Logger } from "@symphony/kit";
import { SUBJECTS } from "@symphony/proto/contracts";
import { KeyInvalidation } from "@symphony/proto/events/v1/events";
import type { KeyCustody } from "./custody.js";

/**
 * When a member leaves a stream, or joins a room without viewHistory, its content key is rotated, so a key the former member kept
 * (e.g. through client-side delivery) opens nothing sent afterwards. One replica handles each
 * notice (queue group). Notices are best effort: releases are refused to non-members anyway.
 */
export function rotateOnMemberRemoval(bus: Bus, subjectPrefix: string, custody: KeyCustody, keysChanged: (streamId: string) => void, logger: Logger): void {
  bus.nc.subscribe(SUBJECTS.allKeysChanged(subjectPrefix), {
    queue: "keymanager",
    callback: (err, msg) => {
      if (err) return;
      const notice = KeyInvalidation.decode(msg.data);
      if (notice.userId === 0) return;
      // Audited with the member whose access changed; the row commits with the new key.
      custody.rotate(notice.streamId, { user_id: notice.userId, action: "ROTATE_ON_MEMBERSHIP", trace_id: "" }).then(
        (rotationId) => {
          logger.info({ streamId: notice.streamId, rotationId }, "content key rotated after a membership change");
          keysChanged(notice.streamId);
        },
        (e: unknown) => logger.warn({ err: e, streamId: notice.streamId }, "could not rotate after a membership change"),
      );
    },
  });
}
