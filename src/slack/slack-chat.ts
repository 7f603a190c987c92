import type { WebClient } from '@slack/web-api';
import type { ChannelArchiveChat, IncidentChat, PlaybookChat } from '../incidents/ports.js';
import { SlackCardChat } from './card-chat.js';
import { SlackChannelChat } from './channel-chat.js';
import { SlackNoticeChat } from './notice-chat.js';
import { SlackPageChat } from './page-chat.js';
import { SlackPlaybookChat } from './playbook-chat.js';
import { SlackChatCore, type SlackChatOptions } from './slack-chat-core.js';

export type { SlackChatOptions } from './slack-chat-core.js';

/**
 * The domain's IncidentChat and PlaybookChat, implemented with the Slack Web API and the pure templates: one object
 * for the rest of the bot, made of parts that share one core (the client, the options, the bot's own user, the
 * history look-ups; slack-chat-core.ts). Each method is its part's; none is done here.
 */
export class SlackChat implements IncidentChat, PlaybookChat, ChannelArchiveChat {
  private readonly channels: SlackChannelChat;
  private readonly cards: SlackCardChat;
  private readonly notices: SlackNoticeChat;
  private readonly pages: SlackPageChat;
  private readonly playbooks: SlackPlaybookChat;

  constructor(client: WebClient, opts: SlackChatOptions) {
    const core = new SlackChatCore(client, opts);
    this.channels = new SlackChannelChat(core);
    this.cards = new SlackCardChat(core);
    this.pages = new SlackPageChat(core);
    this.notices = new SlackNoticeChat(core, this.channels, this.pages);
    this.playbooks = new SlackPlaybookChat(core);
  }

  // The incident channel, its topic, and the declarer told (channel-chat.ts).
  openChannel(...a: Parameters<SlackChannelChat['openChannel']>) {
    return this.channels.openChannel(...a);
  }
  findChannel(...a: Parameters<SlackChannelChat['findChannel']>) {
    return this.channels.findChannel(...a);
  }
  abandonChannel(...a: Parameters<SlackChannelChat['abandonChannel']>) {
    return this.channels.abandonChannel(...a);
  }
  tellDeclarer(...a: Parameters<SlackChannelChat['tellDeclarer']>) {
    return this.channels.tellDeclarer(...a);
  }

  // The incident card (card-chat.ts).
  postCard(...a: Parameters<SlackCardChat['postCard']>) {
    return this.cards.postCard(...a);
  }
  findCard(...a: Parameters<SlackCardChat['findCard']>) {
    return this.cards.findCard(...a);
  }
  pinCard(...a: Parameters<SlackCardChat['pinCard']>) {
    return this.cards.pinCard(...a);
  }
  refreshCard(...a: Parameters<SlackCardChat['refreshCard']>) {
    return this.cards.refreshCard(...a);
  }
  cardMayDiffer(...a: Parameters<SlackCardChat['cardMayDiffer']>) {
    return this.cards.cardMayDiffer(...a);
  }

  // The announcement and the notices (notice-chat.ts).
  announce(...a: Parameters<SlackNoticeChat['announce']>) {
    return this.notices.announce(...a);
  }
  findAnnouncement(...a: Parameters<SlackNoticeChat['findAnnouncement']>) {
    return this.notices.findAnnouncement(...a);
  }
  notify(...a: Parameters<SlackNoticeChat['notify']>) {
    return this.notices.notify(...a);
  }
  tellChannelArchived(...a: Parameters<SlackNoticeChat['tellChannelArchived']>) {
    return this.notices.tellChannelArchived(...a);
  }
  rejoinChannel(...a: Parameters<SlackNoticeChat['rejoinChannel']>) {
    return this.notices.rejoinChannel(...a);
  }
  findNotice(...a: Parameters<SlackNoticeChat['findNotice']>) {
    return this.notices.findNotice(...a);
  }

  // Contacts, pages and invitations (page-chat.ts).
  resolveContacts(...a: Parameters<SlackPageChat['resolveContacts']>) {
    return this.pages.resolveContacts(...a);
  }
  sendPage(...a: Parameters<SlackPageChat['sendPage']>) {
    return this.pages.sendPage(...a);
  }
  refreshPage(...a: Parameters<SlackPageChat['refreshPage']>) {
    return this.pages.refreshPage(...a);
  }
  updatePage(...a: Parameters<SlackPageChat['updatePage']>) {
    return this.pages.updatePage(...a);
  }
  findPage(...a: Parameters<SlackPageChat['findPage']>) {
    return this.pages.findPage(...a);
  }
  inviteToChannel(...a: Parameters<SlackPageChat['inviteToChannel']>) {
    return this.pages.inviteToChannel(...a);
  }

  // Checklists, runs, approvals, deployments, verification and uploads (playbook-chat.ts).
  postPlaybook(...a: Parameters<SlackPlaybookChat['postPlaybook']>) {
    return this.playbooks.postPlaybook(...a);
  }
  findPlaybookPost(...a: Parameters<SlackPlaybookChat['findPlaybookPost']>) {
    return this.playbooks.findPlaybookPost(...a);
  }
  deletePlaybook(...a: Parameters<SlackPlaybookChat['deletePlaybook']>) {
    return this.playbooks.deletePlaybook(...a);
  }
  updatePlaybook(...a: Parameters<SlackPlaybookChat['updatePlaybook']>) {
    return this.playbooks.updatePlaybook(...a);
  }
  tellChecklistGivenUp(...a: Parameters<SlackPlaybookChat['tellChecklistGivenUp']>) {
    return this.playbooks.tellChecklistGivenUp(...a);
  }
  findChecklistGivenUp(...a: Parameters<SlackPlaybookChat['findChecklistGivenUp']>) {
    return this.playbooks.findChecklistGivenUp(...a);
  }
  postNote(...a: Parameters<SlackPlaybookChat['postNote']>) {
    return this.playbooks.postNote(...a);
  }
  isMember(...a: Parameters<SlackPlaybookChat['isMember']>) {
    return this.playbooks.isMember(...a);
  }
  isPrivateChannel(...a: Parameters<SlackPlaybookChat['isPrivateChannel']>) {
    return this.playbooks.isPrivateChannel(...a);
  }
  postRun(...a: Parameters<SlackPlaybookChat['postRun']>) {
    return this.playbooks.postRun(...a);
  }
  findRunPost(...a: Parameters<SlackPlaybookChat['findRunPost']>) {
    return this.playbooks.findRunPost(...a);
  }
  updateRun(...a: Parameters<SlackPlaybookChat['updateRun']>) {
    return this.playbooks.updateRun(...a);
  }
  postApproval(...a: Parameters<SlackPlaybookChat['postApproval']>) {
    return this.playbooks.postApproval(...a);
  }
  updateApproval(...a: Parameters<SlackPlaybookChat['updateApproval']>) {
    return this.playbooks.updateApproval(...a);
  }
  sendApprovalDm(...a: Parameters<SlackPlaybookChat['sendApprovalDm']>) {
    return this.playbooks.sendApprovalDm(...a);
  }
  updateApprovalDm(...a: Parameters<SlackPlaybookChat['updateApprovalDm']>) {
    return this.playbooks.updateApprovalDm(...a);
  }
  postDeployments(...a: Parameters<SlackPlaybookChat['postDeployments']>) {
    return this.playbooks.postDeployments(...a);
  }
  showDeploymentsOutOfDate(...a: Parameters<SlackPlaybookChat['showDeploymentsOutOfDate']>) {
    return this.playbooks.showDeploymentsOutOfDate(...a);
  }
  postHistoryUnread(...a: Parameters<SlackPlaybookChat['postHistoryUnread']>) {
    return this.playbooks.postHistoryUnread(...a);
  }
  postVerification(...a: Parameters<SlackPlaybookChat['postVerification']>) {
    return this.playbooks.postVerification(...a);
  }
  updateVerification(...a: Parameters<SlackPlaybookChat['updateVerification']>) {
    return this.playbooks.updateVerification(...a);
  }
  permalink(...a: Parameters<SlackPlaybookChat['permalink']>) {
    return this.playbooks.permalink(...a);
  }
  uploadOutput(...a: Parameters<SlackPlaybookChat['uploadOutput']>) {
    return this.playbooks.uploadOutput(...a);
  }
}
