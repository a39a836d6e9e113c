"""What a chunk of inbound messages will look up, read for the whole chunk at once.

Processing a chunk, each customer's message needs the open conversation at its address and,
for a new conversation, the contact with its phone: two queries per message. Read together
beforehand they cost two queries per chunk. What the chunk itself changes (a conversation
opened or closed, a contact created) is kept up to date here as it happens."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from atende.conversations.items import InboundMessage
from atende.conversations.models import Contact, Conversation
from atende.conversations.repository import CLOSED, ConversationRepository

Address = tuple[str, str, str]


def address_of(item: InboundMessage) -> Address:
    return (item.customer_address, item.channel, item.business_address)


@dataclass
class Lookahead:
    addresses: set[Address] = field(default_factory=set)
    conversations: dict[Address, Conversation] = field(default_factory=dict)
    phones: set[str] = field(default_factory=set)
    contacts: dict[str, Contact] = field(default_factory=dict)

    @classmethod
    async def load(
        cls, repository: ConversationRepository, items: Iterable[InboundMessage]
    ) -> Lookahead:
        items = list(items)
        addresses = {address_of(item) for item in items}
        phones = {item.phone for item in items if item.phone}
        return cls(
            addresses=addresses,
            conversations=await repository.open_at_many(sorted(addresses)),
            phones=phones,
            contacts=await repository.contacts_by_phone(sorted(phones)),
        )

    def knows_address(self, address: Address) -> bool:
        return address in self.addresses

    def open_at(self, address: Address) -> Conversation | None:
        """Only for an address it `knows_address`; a conversation closed since is not open."""
        conversation = self.conversations.get(address)
        return None if conversation is None or conversation.state == CLOSED else conversation

    def conversations_to_open(self) -> int:
        """At most how many conversations the chunk opens: one per address without an open
        conversation (the protocol numbers it reserves, see `atende.conversations.protocol`)."""
        return sum(self.open_at(address) is None for address in self.addresses)

    def knows_phone(self, phone: str | None) -> bool:
        return phone is not None and phone in self.phones

    def contact(self, phone: str) -> Contact | None:
        return self.contacts.get(phone)

    def remember(
        self, address: Address, conversation: Conversation, contact: Contact | None
    ) -> None:
        """The conversation now open at `address` (and its contact, if loaded)."""
        self.addresses.add(address)
        self.conversations[address] = conversation
        if contact is not None:
            self.remember_contact(contact)

    def remember_contact(self, contact: Contact) -> None:
        """A contact found or created since the read (a later item with its phone finds it)."""
        if contact.phone:
            self.phones.add(contact.phone)
            self.contacts[contact.phone] = contact
