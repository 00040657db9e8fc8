"""The everyday bot surface through the official Python BDK: sessions, users, streams, messages,
connections and a datafeed v5 loop that lives through quiet polls."""
import asyncio
import os
import sys

from symphony.bdk.core.config.model.bdk_config import BdkConfig
from symphony.bdk.core.service.datafeed.real_time_event_listener import RealTimeEventListener
from symphony.bdk.core.symphony_bdk import SymphonyBdk
from symphony.bdk.gen.pod_model.v3_room_attributes import V3RoomAttributes


def config(user, key):
    return BdkConfig(host=os.environ["MESH_HOST"], port=int(os.environ["MESH_PORT"]), scheme="http",
                     bot={"username": user, "privateKey": {"path": key}}, datafeed={"version": "v2"})


def check(condition, what):
    if not condition:
        print(f"everyday_bot: {what}", file=sys.stderr)
        sys.exit(1)


class Inbox(RealTimeEventListener):
    def __init__(self):
        self.messages = asyncio.Queue()

    async def on_message_sent(self, initiator, event):
        await self.messages.put(event.message)


async def main():
    bot_id, peer_id = int(os.environ["BOT_ID"]), int(os.environ["PEER_ID"])
    async with SymphonyBdk(config(os.environ["BOT_USERNAME"], os.environ["BOT_KEY"])) as bot, \
            SymphonyBdk(config(os.environ["PEER_USERNAME"], os.environ["PEER_KEY"])) as peer:
        session = await bot.sessions().get_session()
        check(session.id == bot_id, f"session names {session.id}, not {bot_id}")

        users = await bot.users().list_users_by_ids([peer_id])
        check([u.id for u in users.users] == [peer_id], "users by id")

        room = await bot.streams().create_room(V3RoomAttributes(name=f"bdk room {bot_id}", description="conformance"))
        room_id = room.room_system_info.id
        info = await bot.streams().get_room_info(room_id)
        check(info.room_attributes.name == f"bdk room {bot_id}", "room info")
        check(await bot.messages().list_messages(room_id) == [], "an empty stream lists []")
        await bot.streams().add_member_to_room(peer_id, room_id)

        connection = await bot.connections().create_connection(peer_id)
        check(connection.status == "PENDING_OUTGOING", f"connection is {connection.status}")
        await peer.connections().accept_connection(bot_id)
        listed = await bot.connections().list_connections()
        check(any(c.user_id == peer_id for c in listed), "connection listed")

        inbox = Inbox()
        loop = peer.datafeed()
        loop.subscribe(inbox)
        reading = asyncio.create_task(loop.start())
        # The poll is 1 s on this mesh: two quiet polls must leave the loop alive.
        await asyncio.sleep(2.5)
        check(not reading.done(), "the datafeed loop ended on a quiet poll")

        sent = await bot.messages().send_message(room_id, "<messageML>hello <b>BDK</b></messageML>")
        received = await asyncio.wait_for(inbox.messages.get(), 20)
        check(received.message_id == sent.message_id, "the datafeed delivered the message")
        check("hello <b>BDK</b>" in received.message, f"decrypted content: {received.message}")
        listed = await bot.messages().list_messages(room_id)
        check([m.message_id for m in listed] == [sent.message_id], "list after send")
        got = await peer.messages().get_message(sent.message_id)
        check(got.message_id == sent.message_id, "get message")

        await loop.stop()
        await asyncio.wait_for(reading, 10)


asyncio.run(main())
